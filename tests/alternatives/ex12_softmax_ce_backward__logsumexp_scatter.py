"""exp(z - logsumexp(z)), then 1 subtracted at each target with index_put (out of place)."""


def cross_entropy_backward(logits, targets):
    probabilities = torch.exp(logits - torch.logsumexp(logits, dim=1, keepdim=True))
    rows = torch.arange(logits.shape[0])
    minus_one = -torch.ones(logits.shape[0], dtype=logits.dtype)
    grad = probabilities.index_put((rows, targets.long()), minus_one, accumulate=True)
    return grad / len(targets)
