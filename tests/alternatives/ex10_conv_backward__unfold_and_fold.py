"""grad_weight by unfolding the windows and one matrix product; grad_x by F.fold (col2im), which adds the
overlapping windows' shares back into the padded input (the kit's reference before it went channels-last)."""


def conv2d_backward(grad_out, x, weight, stride=1, padding=0):
    stride_h, stride_w = _pair(stride)
    pad_h, pad_w = _pair(padding)
    batch, channels, height, width = x.shape
    kernel_h, kernel_w = weight.shape[2], weight.shape[3]
    out_h, out_w = grad_out.shape[2], grad_out.shape[3]

    grad_bias = grad_out.sum(dim=(0, 2, 3))

    padded = F.pad(x, (pad_w, pad_w, pad_h, pad_h))
    windows = padded.unfold(2, kernel_h, stride_h).unfold(3, kernel_w, stride_w)  # (N, C, H_out, W_out, kH, kW)
    # grad_weight[o, (c, u, v)] = sum over (n, i, j) of grad_out[o, (n, i, j)] * windows[(c, u, v), (n, i, j)]:
    # one matrix product once both are laid out with (n, i, j) as the shared axis.
    window_matrix = windows.permute(1, 4, 5, 0, 2, 3).reshape(channels * kernel_h * kernel_w, -1)
    grad_matrix = grad_out.transpose(0, 1).reshape(grad_out.shape[1], -1)
    grad_weight = (grad_matrix @ window_matrix.T).reshape(weight.shape)

    # Each output position's share of its window, (N, C * kH * kW, H_out * W_out): the layout
    # F.fold (col2im) takes; fold adds the overlapping windows into the padded shape.
    columns = weight.reshape(weight.shape[0], -1).T @ grad_out.reshape(batch, grad_out.shape[1], out_h * out_w)
    grad_padded = F.fold(columns, (height + 2 * pad_h, width + 2 * pad_w), (kernel_h, kernel_w),
                         stride=(stride_h, stride_w))
    grad_x = grad_padded[:, :, pad_h : pad_h + height, pad_w : pad_w + width]
    return grad_x, grad_weight, grad_bias
