"""count_parameters counts frozen parameters (requires_grad=False) too."""


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
