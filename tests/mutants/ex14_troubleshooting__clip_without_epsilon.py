"""Scales by max_norm / total, without torch's 1e-6 in the denominator (it matters for tiny norms)."""


def clip_grad_norm(parameters, max_norm, norm_type=2.0):
    if isinstance(parameters, torch.Tensor):
        parameters = [parameters]
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    total = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g, norm_type) for g in grads]), norm_type)
    if total > max_norm:
        with torch.no_grad():
            for grad in grads:
                grad.mul_(max_norm / total)
    return total
