"""The gradient from torch.autograd.forward_ad: one dual tensor per logit, each tangent a column of the Jacobian.

Flagged by the source check (torch.autograd.forward_ad); run anyway, the detector sees the dual
tensors made (torch._make_dual), the autograd this exercise forbids: forbidden.
"""

import torch
import torch.autograd.forward_ad as forward_ad


def cross_entropy_backward(logits, targets):
    def loss(z):
        top = z.amax(dim=1, keepdim=True)
        lse = top.squeeze(1) + torch.log(torch.exp(z - top).sum(dim=1))
        return (lse - z.gather(1, targets.long()[:, None]).squeeze(1)).mean()

    grad = torch.zeros_like(logits)
    with forward_ad.dual_level():
        for index in range(logits.numel()):
            tangent = torch.zeros_like(logits).view(-1)
            tangent[index] = 1
            dual = forward_ad.make_dual(logits, tangent.view_as(logits))
            grad.view(-1)[index] = forward_ad.unpack_dual(loss(dual)).tangent
    return grad
