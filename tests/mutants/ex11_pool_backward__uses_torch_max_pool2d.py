"""Runs F.max_pool2d and asks autograd for the gradient (forbidden: scores 0)."""


def max_pool2d_backward(grad_out, x, kernel_size, stride=None, padding=0):
    leaf = x.detach().clone().requires_grad_()
    out = F.max_pool2d(leaf, kernel_size, stride, padding)
    out.backward(grad_out)
    return leaf.grad
