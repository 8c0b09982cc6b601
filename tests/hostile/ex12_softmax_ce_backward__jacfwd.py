"""The gradient of its own log-sum-exp loss from torch.func.jacfwd (forward-mode AD: no grad_fn anywhere).

Flagged by the source check (torch.func); run anyway, the detector treats torch.func's transforms as
the autograd this exercise forbids: forbidden.
"""

import torch


def cross_entropy_backward(logits, targets):
    def loss(z):
        top = z.amax(dim=1, keepdim=True)
        lse = top.squeeze(1) + torch.log(torch.exp(z - top).sum(dim=1))
        return (lse - z.gather(1, targets.long()[:, None]).squeeze(1)).mean()

    return torch.func.jacfwd(loss)(logits)
