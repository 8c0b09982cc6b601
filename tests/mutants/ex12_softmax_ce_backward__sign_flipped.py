"""one_hot - softmax: the direction that increases the loss."""


def cross_entropy_backward(logits, targets):
    exps = torch.exp(logits - logits.amax(dim=1, keepdim=True))
    one_hot = torch.nn.functional.one_hot(targets.long(), logits.shape[1]).to(logits.dtype)
    return (one_hot - exps / exps.sum(dim=1, keepdim=True)) / logits.shape[0]
