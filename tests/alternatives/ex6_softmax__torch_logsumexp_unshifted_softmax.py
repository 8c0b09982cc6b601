"""Uses torch.logsumexp (not forbidden) in both: softmax = exp(z - logsumexp(z)) with no separate shift."""


def softmax(logits, dim=-1):
    return torch.exp(logits - torch.logsumexp(logits, dim=dim, keepdim=True))


def cross_entropy(logits, targets):
    lse = torch.logsumexp(logits, dim=1)
    return (lse - logits.gather(1, targets.view(-1, 1)).view(-1)).sum() / logits.size(0)
