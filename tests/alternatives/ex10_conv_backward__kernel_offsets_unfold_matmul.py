"""grad_weight by im2col (F.unfold) and a matmul; grad_x by one strided slice per kernel offset (u, v)."""


def conv2d_backward(grad_out, x, weight, stride=1, padding=0):
    sh, sw = _pair(stride)
    ph, pw = _pair(padding)
    n, c, h, w = x.shape
    o, _, kh, kw = weight.shape
    ho, wo = grad_out.shape[2], grad_out.shape[3]
    cols = F.unfold(x, (kh, kw), padding=(ph, pw), stride=(sh, sw))  # (N, C*kh*kw, L)
    g = grad_out.reshape(n, o, ho * wo)
    grad_weight = (g @ cols.transpose(1, 2)).sum(dim=0).reshape(o, c, kh, kw)
    grad_padded = torch.zeros(n, c, h + 2 * ph, w + 2 * pw, dtype=x.dtype)
    for u in range(kh):
        for v in range(kw):
            share = torch.einsum("nohw,oc->nchw", grad_out, weight[:, :, u, v])
            grad_padded[:, :, u:u + (ho - 1) * sh + 1:sh, v:v + (wo - 1) * sw + 1:sw] += share
    return grad_padded[:, :, ph:ph + h, pw:pw + w], grad_weight, grad_out.sum(dim=(0, 2, 3))
