"""as_strided windows of the -inf-padded input (float64); each window's first maximum by argmax, its gradient added at
that pixel with index_add_ on a flat buffer; average pooling by one strided slice per kernel offset."""


def _as_pair(value):
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def _padded_shape(x, padding):
    pad_h, pad_w = _as_pair(padding)
    return x.shape[2] + 2 * pad_h, x.shape[3] + 2 * pad_w


def max_pool2d_backward(grad_out, x, kernel_size, stride=None, padding=0):
    kernel_h, kernel_w = _as_pair(kernel_size)
    stride_h, stride_w = _as_pair(kernel_size if stride is None else stride)
    pad_h, pad_w = _as_pair(padding)
    batch, channels, height, width = x.shape
    out_h, out_w = grad_out.shape[2], grad_out.shape[3]
    padded_h, padded_w = _padded_shape(x, padding)
    padded = torch.full((batch, channels, padded_h, padded_w), float("-inf"), dtype=torch.float64)
    padded[:, :, pad_h:pad_h + height, pad_w:pad_w + width] = x.to(torch.float64)
    s_n, s_c, s_y, s_x = padded.stride()
    windows = padded.as_strided((batch, channels, out_h, out_w, kernel_h, kernel_w),
                                (s_n, s_c, s_y * stride_h, s_x * stride_w, s_y, s_x))
    first = windows.reshape(batch, channels, out_h, out_w, kernel_h * kernel_w).argmax(dim=-1)
    rows = torch.arange(out_h).view(1, 1, out_h, 1) * stride_h + first // kernel_w
    cols = torch.arange(out_w).view(1, 1, 1, out_w) * stride_w + first % kernel_w
    planes = torch.arange(batch * channels).view(batch, channels, 1, 1)
    flat_index = (planes * padded_h + rows) * padded_w + cols
    grad = torch.zeros(batch * channels * padded_h * padded_w, dtype=torch.float64)
    grad.index_add_(0, flat_index.reshape(-1), grad_out.to(torch.float64).reshape(-1))
    grad = grad.view(batch, channels, padded_h, padded_w)[:, :, pad_h:pad_h + height, pad_w:pad_w + width]
    return grad.to(x.dtype).contiguous()


def avg_pool2d_backward(grad_out, x, kernel_size, stride=None, padding=0):
    kernel_h, kernel_w = _as_pair(kernel_size)
    stride_h, stride_w = _as_pair(kernel_size if stride is None else stride)
    pad_h, pad_w = _as_pair(padding)
    height, width = x.shape[2], x.shape[3]
    out_h, out_w = grad_out.shape[2], grad_out.shape[3]
    share = grad_out.to(torch.float64) / (kernel_h * kernel_w)
    grad = torch.zeros(x.shape[0], x.shape[1], *_padded_shape(x, padding), dtype=torch.float64)
    for u in range(kernel_h):
        for v in range(kernel_w):
            grad[:, :, u:u + stride_h * (out_h - 1) + 1:stride_h, v:v + stride_w * (out_w - 1) + 1:stride_w] += share
    return grad[:, :, pad_h:pad_h + height, pad_w:pad_w + width].to(grad_out.dtype).contiguous()
