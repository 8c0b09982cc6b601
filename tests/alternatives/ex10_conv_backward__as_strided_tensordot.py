"""The padded input's windows as an as_strided view; grad_weight by torch.tensordot over the batch and the output
positions; grad_x by adding each kernel offset's share into a zero buffer; float64 inside (.to, .contiguous())."""


def conv2d_backward(grad_out, x, weight, stride=1, padding=0):
    stride_h, stride_w = (stride, stride) if isinstance(stride, int) else stride
    pad_h, pad_w = (padding, padding) if isinstance(padding, int) else padding
    g = grad_out.to(torch.float64).contiguous()
    w64 = weight.to(torch.float64).contiguous()
    batch, channels, height, width = x.shape
    kernel_h, kernel_w = weight.shape[2], weight.shape[3]
    out_h, out_w = g.shape[2], g.shape[3]
    padded = torch.zeros(batch, channels, height + 2 * pad_h, width + 2 * pad_w, dtype=torch.float64)
    padded[:, :, pad_h:pad_h + height, pad_w:pad_w + width] = x.to(torch.float64)
    s_n, s_c, s_y, s_x = padded.stride()
    windows = padded.as_strided((batch, channels, out_h, out_w, kernel_h, kernel_w),
                                (s_n, s_c, s_y * stride_h, s_x * stride_w, s_y, s_x))
    grad_weight = torch.tensordot(g, windows, dims=([0, 2, 3], [0, 2, 3]))  # (C_out, C_in, kH, kW)
    grad_windows = torch.tensordot(g, w64, dims=([1], [0]))  # (N, H_out, W_out, C_in, kH, kW)
    grad_padded = torch.zeros_like(padded)
    for u in range(kernel_h):
        for v in range(kernel_w):
            rows = slice(u, u + stride_h * (out_h - 1) + 1, stride_h)
            cols = slice(v, v + stride_w * (out_w - 1) + 1, stride_w)
            grad_padded[:, :, rows, cols] += grad_windows[..., u, v].permute(0, 3, 1, 2)
    grad_x = grad_padded[:, :, pad_h:pad_h + height, pad_w:pad_w + width]
    return grad_x.to(x.dtype).contiguous(), grad_weight.to(x.dtype), g.sum(dim=(0, 2, 3)).to(x.dtype)
