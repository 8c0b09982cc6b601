"""count_parameters returns the number of parameter tensors, not scalars."""


def count_parameters(model: nn.Module) -> int:
    return len([p for p in model.parameters() if p.requires_grad])
