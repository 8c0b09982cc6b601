"""Drop-in replacements for two stock layers that are slow on the CPU in ``cnnkit compare``.

Both compute what the layer they replace computes; only the kernels (and, for dropout, the
random numbers behind the masks) differ. ``speed_up(model)`` swaps them into a model built by
the student's or the reference ``ex7_models``; ``cnnkit compare --stock-layers`` leaves the
model as built. The profile that motivated them (MNIST_CNN, batch 64, bfloat16, channels-last,
2-core AMD EPYC, per training step of about 40 ms):

* ``nn.MaxPool2d``: its output is flattened for ``fc1``. Flattening a channels-last tensor
  copies it, and the copy's backward hands max-pool's backward a gradient in the *standard*
  layout while the saved indices are channels-last: the kernel then converts layouts itself,
  about 8 ms per step instead of about 2 ms. :class:`LayoutKeepingMaxPool2d` is the same
  pooling, with the incoming gradient put back into the input's layout first.
* ``nn.Dropout``: PyTorch draws one Bernoulli sample per element on the CPU (about 7 ms for
  802,816 elements, a dropout on MNIST_CNN's pooled features as the kit's earlier layout had;
  the article's single dropout acts on fc1's 128 units per image, and PlainNN's on 512 and 256). :class:`ByteMaskDropout` draws 64 random
  bits at a time and compares each byte with ``256 * p``: the drop probability is exactly ``p``
  whenever ``256 * p`` is a whole number (0.25 and 0.5 in the article), and a step costs under
  1 ms. It is inverted dropout like PyTorch's: kept values are scaled by ``1 / (1 - p)`` in
  training, eval mode is the identity.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["ByteMaskDropout", "LayoutKeepingMaxPool2d", "speed_up"]


# -- max-pooling ---------------------------------------------------------------------------------
class _GradientInLayoutOf(torch.autograd.Function):
    """Identity forward; backward returns the gradient in ``memory_format``."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, memory_format: torch.memory_format) -> torch.Tensor:  # type: ignore[override]
        ctx.memory_format = memory_format
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:  # type: ignore[override]
        return grad.contiguous(memory_format=ctx.memory_format), None


def _is_channels_last(x: torch.Tensor) -> bool:
    """4-D and laid out channels-last *only* (a tensor with C == 1 or H == W == 1 is both)."""
    return x.dim() == 4 and x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous()


class LayoutKeepingMaxPool2d(nn.MaxPool2d):
    """``nn.MaxPool2d`` whose backward always receives its gradient in the layout of its output."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = super().forward(x)
        if _is_channels_last(x) and torch.is_grad_enabled() and y.requires_grad:
            return _GradientInLayoutOf.apply(y, torch.channels_last)
        return y


# -- dropout -------------------------------------------------------------------------------------
def exact_in_bytes(p: float) -> bool:
    """Whether a byte threshold gives drop probability exactly ``p`` (256 * p is a whole number)."""
    return 0.0 <= p < 1.0 and float(256 * p).is_integer()


def random_bytes_like(x: torch.Tensor) -> torch.Tensor:
    """Uniform random uint8 shaped like ``x``, in its layout: 8 bytes from each 64-bit draw."""
    count = math.prod(x.shape)
    words = torch.empty((count + 7) // 8, dtype=torch.int64, device=x.device).random_(-(2**63), None)
    flat = words.view(torch.uint8)[:count]
    # In x's layout, so that the mask multiplies x element by element without a layout change.
    return flat.as_strided(x.shape, x.stride()) if _is_channels_last(x) else flat.view(x.shape)


class _ScaleByMask(torch.autograd.Function):
    """``x * mask`` where ``mask`` holds 0 or ``1 / (1 - p)``; backward ``grad * mask``."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        ctx.save_for_backward(mask)
        return x * mask

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:  # type: ignore[override]
        (mask,) = ctx.saved_tensors
        if grad.stride() != mask.stride():  # e.g. the standard-layout gradient of a flatten
            grad = torch.empty_like(mask, dtype=grad.dtype).copy_(grad)  # multiply in one layout
        return grad * mask, None


class ByteMaskDropout(nn.Dropout):
    """Inverted dropout like ``nn.Dropout(p)``, with masks from random bytes (``p`` in 1/256 steps)."""

    def __init__(self, p: float = 0.5) -> None:
        if not exact_in_bytes(p):
            raise ValueError(f"ByteMaskDropout needs 256 * p to be a whole number below 256, got p={p}")
        super().__init__(p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = random_bytes_like(x) >= round(256 * self.p)
        mask = keep.to(x.dtype).mul_(1.0 / (1.0 - self.p))
        return _ScaleByMask.apply(x, mask)


# -- swapping ------------------------------------------------------------------------------------
def _faster_equivalent(layer: nn.Module) -> nn.Module | None:
    """The replacement for ``layer``, or None when it has none (or uses options it does not cover)."""
    if type(layer) is nn.MaxPool2d and not layer.return_indices:
        pool = LayoutKeepingMaxPool2d(layer.kernel_size, layer.stride, layer.padding, layer.dilation,
                                      return_indices=False, ceil_mode=layer.ceil_mode)
        return pool.train(layer.training)
    if type(layer) is nn.Dropout and not layer.inplace and exact_in_bytes(layer.p):
        return ByteMaskDropout(layer.p).train(layer.training)
    return None


def speed_up(model: nn.Module) -> list[str]:
    """Swap, in place, every stock layer of ``model`` that has a faster equivalent here.

    Returns the names of the swapped layers (``"pool"``, ``"dropout"``, ``"block.0"``...); a layer
    used twice (the article's ``PlainNN`` calls its one ``self.dropout`` after both hidden layers)
    is swapped once and both calls use the replacement.
    Layers the model calls through ``torch.nn.functional`` are not modules and stay as they are.
    """
    swapped = []
    for name, layer in list(model.named_modules(remove_duplicate=False)):
        replacement = _faster_equivalent(layer)
        if replacement is None or not name:
            continue
        parent_name, _, attribute = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, attribute, replacement)
        swapped.append(name)
    return swapped
