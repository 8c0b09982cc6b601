"""Calls torch.nn.functional.max_pool2d, which the exercise forbids."""


def max_pool2d(x, kernel_size, stride=None, padding=0):
    return F.max_pool2d(x, kernel_size, stride, padding)
