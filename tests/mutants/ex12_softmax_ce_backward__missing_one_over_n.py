"""softmax - one_hot without the 1/N of the batch mean (the gradient of the summed loss)."""


def cross_entropy_backward(logits, targets):
    exps = torch.exp(logits - logits.amax(dim=1, keepdim=True))
    one_hot = torch.nn.functional.one_hot(targets.long(), logits.shape[1]).to(logits.dtype)
    return exps / exps.sum(dim=1, keepdim=True) - one_hot
