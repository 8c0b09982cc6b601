"""Cross-entropy with F.one_hot: -(one_hot * log_probs).sum(1).mean(); softmax from its own stable log-softmax."""

import torch.nn.functional as F  # noqa: E402


def _log_softmax(z, dim):
    shifted = z - z.amax(dim=dim, keepdim=True)
    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()


def softmax(logits, dim=-1):
    return _log_softmax(logits, dim).exp()


def cross_entropy(logits, targets):
    picked = F.one_hot(targets, num_classes=logits.shape[1]).to(logits.dtype)
    return -(picked * _log_softmax(logits, 1)).sum(dim=1).mean()
