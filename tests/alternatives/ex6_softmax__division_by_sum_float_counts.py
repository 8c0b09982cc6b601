"""softmax as e / e.sum with the max subtracted via .values; loss as the sum divided by float(N)."""


def softmax(logits, dim=-1):
    shifted = logits - logits.max(dim=dim, keepdim=True).values
    exps = shifted.exp()
    return exps / exps.sum(dim=dim, keepdim=True)


def cross_entropy(logits, targets):
    m = logits.max(dim=1, keepdim=True).values
    lse = (logits - m).exp().sum(dim=1).log() + m.squeeze(1)
    correct = logits[range(logits.shape[0]), targets]
    return (lse - correct).sum() / float(logits.shape[0])
