"""What the CNNs learned: which model ``feature_maps.png`` shows, and what its first convolutions compute."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

#: The article's CNN ("Model 2"): ``feature_maps.png`` shows it whenever it was trained, because its
#: one pooling (28x28 -> 14x14) is what the article's "after two poolings ... 7x7" gets wrong.
ARTICLE_CNN = "MNIST_CNN"


def feature_maps_model(report: dict[str, Any]) -> str:
    """The model ``feature_maps.png`` shows: the article's CNN if it was trained, else the best CNN."""
    return ARTICLE_CNN if ARTICLE_CNN in report.get("_models", {}) else report["best_cnn"]


def first_convolutions(model: nn.Module, count: int = 2) -> list[nn.Conv2d]:
    """The model's first ``count`` ``nn.Conv2d`` modules, in registration order (= usage order here)."""
    return [module for module in model.modules() if isinstance(module, nn.Conv2d)][:count]


def convolution_maps(model: nn.Module, image: torch.Tensor) -> list[tuple[str, torch.Tensor]]:
    """What the first two convolutions of ``model`` compute on one normalised image (1, 28, 28).

    Forward hooks record each convolution's output during an eval-mode pass; shown after ReLU
    (what the next layer receives), and the second one also after 2x2 max-pooling, the article's
    single pooling: [(title, maps (C, H, W)), ...].
    """
    captured: list[torch.Tensor] = []
    hooks = [conv.register_forward_hook(lambda _m, _i, out: captured.append(out.detach().float().cpu()))
             for conv in first_convolutions(model)]
    parameter = next(model.parameters())
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(image.unsqueeze(0).to(parameter.device).contiguous(memory_format=torch.channels_last))
    finally:
        model.train(was_training)
        for hook in hooks:
            hook.remove()
    maps = []
    for index, output in enumerate(captured[:2], start=1):
        activated = torch.relu(output[0])
        maps.append((f"conv{index} + ReLU", activated))
        if index == 2:
            maps.append((f"conv{index} + ReLU + 2x2 max-pool", nn.functional.max_pool2d(activated, 2)))
    return maps
