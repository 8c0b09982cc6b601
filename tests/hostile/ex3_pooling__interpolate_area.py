"""Average pooling by F.interpolate(mode="area") (it resizes by averaging each cell's area: pooling under
another name). The call is named "interpolate"; the operator under it is aten's adaptive average pooling.

Passes the source check (a public torch function); the operator layer sees aten._adaptive_avg_pool2d:
forbidden, and the whole exercise scores 0.
"""

import torch.nn.functional as F

_reference_avg_pool2d = avg_pool2d  # noqa: F821 (defined by the reference above)


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    sh, sw = (kh, kw) if stride is None else ((stride, stride) if isinstance(stride, int) else stride)
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    if (sh, sw) != (kh, kw):
        return _reference_avg_pool2d(x, kernel_size, stride, padding)  # only tiles are areas
    x = F.pad(x, (pw, pw, ph, ph))
    out_h, out_w = (x.shape[2] - kh) // sh + 1, (x.shape[3] - kw) // sw + 1
    return F.interpolate(x[:, :, : out_h * kh, : out_w * kw], size=(out_h, out_w), mode="area")
