"""exp of the raw logits: overflows to inf / inf = nan for logits in the thousands."""


def cross_entropy_backward(logits, targets):
    exps = torch.exp(logits)
    one_hot = torch.nn.functional.one_hot(targets.long(), logits.shape[1]).to(logits.dtype)
    return (exps / exps.sum(dim=1, keepdim=True) - one_hot) / logits.shape[0]
