"""Differentiates its own log-sum-exp loss with torch.autograd.grad (forbidden: scores 0)."""


def cross_entropy_backward(logits, targets):
    leaf = logits.detach().clone().requires_grad_()
    top = leaf.amax(dim=1, keepdim=True)
    loss = (top.squeeze(1) + torch.log(torch.exp(leaf - top).sum(dim=1)) - leaf.gather(1, targets.long()[:, None]).squeeze(1)).mean()
    return torch.autograd.grad(loss, leaf)[0]
