"""One row at a time with Python floats for the batch size; the target's entry set with clone + item."""


def cross_entropy_backward(logits, targets):
    rows = []
    for row, target in zip(logits, targets.tolist()):
        shifted = row - row.max()
        probabilities = shifted.exp() / shifted.exp().sum()
        grad = probabilities.clone()
        grad[target] = probabilities[target].item() - 1.0
        rows.append(grad)
    return torch.stack(rows) * (1.0 / float(logits.shape[0]))
