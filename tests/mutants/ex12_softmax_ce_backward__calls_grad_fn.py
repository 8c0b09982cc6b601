"""Calls a node of autograd's graph directly: logsumexp's grad_fn gives softmax / N (autograd all the same)."""


def cross_entropy_backward(logits, targets):
    batch, classes = logits.shape
    z = logits.detach().clone().requires_grad_()
    lse = torch.logsumexp(z, dim=1)
    softmax_over_n = lse.grad_fn(torch.full((batch,), 1.0 / batch, dtype=logits.dtype))
    one_hot = torch.nn.functional.one_hot(targets.long(), classes).to(logits.dtype)
    return softmax_over_n.detach() - one_hot / batch
