"""One basis tensor e_i at a time, x + eps * e_i out of place, under torch.no_grad() (not autograd: allowed);
relative error with torch.maximum."""


def numerical_gradient(f, x, eps=1e-6):
    grad = torch.zeros(x.numel(), dtype=x.dtype)
    with torch.no_grad():
        for index in range(x.numel()):
            basis = torch.zeros(x.numel(), dtype=x.dtype)
            basis[index] = 1.0
            step = (eps * basis).reshape(x.shape)
            grad[index] = (float(f(x + step)) - float(f(x - step))) / (2 * eps)
    return grad.reshape(x.shape)


def relative_error(a, b):
    floor = torch.full_like(a, 1e-8)
    return torch.max(torch.abs(a - b) / torch.maximum(torch.abs(a) + torch.abs(b), floor)).item()
