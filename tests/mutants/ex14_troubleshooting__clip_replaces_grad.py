"""Assigns a new tensor to p.grad instead of clipping the gradient tensor in place."""


def clip_grad_norm(parameters, max_norm, norm_type=2.0):
    if isinstance(parameters, torch.Tensor):
        parameters = [parameters]
    parameters = [p for p in parameters if p.grad is not None]
    if not parameters:
        return torch.tensor(0.0)
    total = torch.linalg.vector_norm(
        torch.stack([torch.linalg.vector_norm(p.grad, norm_type) for p in parameters]), norm_type)
    factor = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    for p in parameters:
        p.grad = p.grad * factor
    return total
