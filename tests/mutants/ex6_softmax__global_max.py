"""Subtracts the maximum of the whole tensor, not of each slice: a row far below the top underflows to 0/0."""


def softmax(logits, dim=-1):
    e = torch.exp(logits - logits.max())
    return e / e.sum(dim=dim, keepdim=True)
