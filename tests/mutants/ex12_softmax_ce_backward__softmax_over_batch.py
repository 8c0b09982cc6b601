"""Softmax normalised over the batch (dim 0) instead of over the classes."""


def cross_entropy_backward(logits, targets):
    exps = torch.exp(logits - logits.amax(dim=0, keepdim=True))
    one_hot = torch.nn.functional.one_hot(targets.long(), logits.shape[1]).to(logits.dtype)
    return (exps / exps.sum(dim=0, keepdim=True) - one_hot) / logits.shape[0]
