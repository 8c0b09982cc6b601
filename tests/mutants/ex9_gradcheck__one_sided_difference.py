"""One-sided difference (f(x + eps e_i) - f(x)) / eps: accurate to eps, not eps^2."""


def numerical_gradient(f, x, eps=1e-6):
    point = x.detach().clone()
    flat = point.view(-1)
    base = float(f(point))
    grad = torch.empty_like(flat)
    for index in range(flat.numel()):
        original = float(flat[index])
        flat[index] = original + eps
        grad[index] = (float(f(point)) - base) / eps
        flat[index] = original
    return grad.view(x.shape)
