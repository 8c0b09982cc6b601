"""softmax = exp(s - logsumexp(s)) with s = z - max(z); cross-entropy from torch.logsumexp."""


def softmax(logits, dim=-1):
    shifted = logits - logits.amax(dim=dim, keepdim=True)  # keeps float32 digits at 1e4
    return torch.exp(shifted - torch.logsumexp(shifted, dim=dim, keepdim=True))


def cross_entropy(logits, targets):
    picked = logits[torch.arange(logits.shape[0]), targets]
    return (torch.logsumexp(logits, dim=1) - picked).mean()
