"""Max pooling by argmax over each flattened window, then gather (the gradient goes to one position per window)."""


def max_pool2d(x, kernel_size, stride=None, padding=0):
    windows = _windows(x, kernel_size, stride, padding, float("-inf")).flatten(-2)  # (N, C, Ho, Wo, kH*kW)
    index = windows.argmax(dim=-1, keepdim=True)
    return windows.gather(-1, index).squeeze(-1)
