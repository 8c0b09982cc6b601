"""count_parameters sums over state_dict(): buffers counted, shared layers counted twice."""


def count_parameters(model: nn.Module) -> int:
    return sum(t.numel() for t in model.state_dict().values())
