"""Always scales by max_norm / total: gradients already under the limit are enlarged up to it."""


def clip_grad_norm(parameters, max_norm, norm_type=2.0):
    if isinstance(parameters, torch.Tensor):
        parameters = [parameters]
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    total = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g, norm_type) for g in grads]), norm_type)
    with torch.no_grad():
        for grad in grads:
            grad.mul_(max_norm / (total + 1e-6))
    return total
