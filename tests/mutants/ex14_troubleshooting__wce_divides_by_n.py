"""Divides the weighted sum by N, the number of rows, not by the sum of the targets' weights."""


def weighted_cross_entropy(logits, targets, weight=None):
    targets = targets.long()
    losses = torch.logsumexp(logits, dim=1) - logits.gather(1, targets[:, None]).squeeze(1)
    weights = torch.ones_like(losses) if weight is None else weight.to(logits.dtype)[targets]
    return (weights * losses).sum() / len(targets)
