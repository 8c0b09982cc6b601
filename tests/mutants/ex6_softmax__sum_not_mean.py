"""Cross-entropy summed over the batch instead of averaged."""


def cross_entropy(logits, targets):
    top = logits.amax(dim=1, keepdim=True)
    log_sum_exp = top.squeeze(1) + torch.log(torch.exp(logits - top).sum(dim=1))
    return (log_sum_exp - logits.gather(1, targets.long().unsqueeze(1)).squeeze(1)).sum()
