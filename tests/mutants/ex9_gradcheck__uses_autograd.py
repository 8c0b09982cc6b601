"""Asks autograd for the gradient instead of estimating it (forbidden: scores 0)."""


def numerical_gradient(f, x, eps=1e-6):
    point = x.detach().clone().requires_grad_(True)
    value = f(point)
    (grad,) = torch.autograd.grad(value, point)
    return grad
