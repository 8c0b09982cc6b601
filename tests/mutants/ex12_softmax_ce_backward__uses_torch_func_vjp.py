"""torch.func.vjp of its own log-sum-exp loss (forbidden: torch.func reaches torch.autograd.grad)."""


def cross_entropy_backward(logits, targets):
    def loss(z):
        top = z.amax(dim=1, keepdim=True)
        lse = top.squeeze(1) + torch.log(torch.exp(z - top).sum(dim=1))
        return (lse - z.gather(1, targets.long()[:, None]).squeeze(1)).mean()

    _, pullback = torch.func.vjp(loss, logits)
    return pullback(torch.ones((), dtype=logits.dtype))[0]
