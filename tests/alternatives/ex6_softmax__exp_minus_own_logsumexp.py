"""The log-softmax route: softmax = exp(z - logsumexp(z)), log-sum-exp written by hand with the max shift."""


def _logsumexp(z, dim):
    m = z.max(dim=dim, keepdim=True).values
    return m + torch.log(torch.exp(z - m).sum(dim=dim, keepdim=True))


def softmax(logits, dim=-1):
    return torch.exp(logits - _logsumexp(logits, dim))


def cross_entropy(logits, targets):
    log_probs = logits - _logsumexp(logits, 1)
    return -log_probs[torch.arange(len(targets)), targets].mean()
