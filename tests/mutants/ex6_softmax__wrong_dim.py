"""Softmax always over the first axis (dim=0), whatever dim says."""


def softmax(logits, dim=-1):
    shifted = logits - logits.amax(dim=0, keepdim=True)
    exps = torch.exp(shifted)
    return exps / exps.sum(dim=0, keepdim=True)
