"""Perturbs x itself and 'restores' it by subtracting eps: (x + eps) - eps is not always x."""


def numerical_gradient(f, x, eps=1e-6):
    flat = x.data.view(-1)
    grad = torch.empty_like(flat)
    for index in range(flat.numel()):
        flat[index] += eps
        above = float(f(x))
        flat[index] -= 2 * eps
        below = float(f(x))
        flat[index] += eps
        grad[index] = (above - below) / (2 * eps)
    return grad.view(x.shape)
