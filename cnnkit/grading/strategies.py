"""Hypothesis strategies for the graders: draw shapes and hyper-parameters first, then values.

Values come from a seeded ``torch.Generator`` (the seed is drawn by Hypothesis, so it shrinks
to 0 and replays exactly). Every case prints as its shapes and settings, never as tensors, so
Hypothesis's "smallest failing example" is readable feedback.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from hypothesis import strategies as st

IntOrPair = int | tuple[int, int]


def tensor(shape: tuple[int, ...], seed: int, dtype: torch.dtype = torch.float64, contiguous: bool = True,
           scale: float = 1.0) -> torch.Tensor:
    """Standard-normal values of ``shape`` from ``seed``; ``contiguous=False`` gives a strided view."""
    generator = torch.Generator().manual_seed(seed)
    if contiguous or len(shape) < 2:
        return torch.randn(shape, generator=generator, dtype=dtype) * scale
    # Same values, non-contiguous memory: build the transposed layout and transpose it back.
    swapped = shape[:-2] + (shape[-1], shape[-2])
    return (torch.randn(swapped, generator=generator, dtype=dtype) * scale).transpose(-1, -2)


def strided(shape: tuple[int, ...], contiguous: bool) -> bool:
    """Whether ``tensor(shape, ..., contiguous)`` is really non-contiguous: a transposed layout whose last
    two sizes are not both above 1 is contiguous after all (and not worth mentioning in feedback)."""
    return not contiguous and len(shape) >= 2 and shape[-1] > 1 and shape[-2] > 1


def pair(value: IntOrPair) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else value


def _int_or_pair(first: int, second: int, as_pair: bool) -> IntOrPair:
    return (first, second) if as_pair or first != second else first


def seeds() -> st.SearchStrategy[int]:
    return st.integers(min_value=0, max_value=2**31 - 1)


@dataclass(frozen=True)
class WindowCase:
    """A batch of images and a sliding-window setting (convolution or pooling)."""

    batch: int
    channels: int
    height: int
    width: int
    kernel: IntOrPair
    stride: IntOrPair | None
    padding: IntOrPair
    seed: int
    contiguous: bool = True
    out_channels: int = 0  # convolution only
    bias: bool = False  # convolution only

    def __repr__(self) -> str:
        parts = [f"x {(self.batch, self.channels, self.height, self.width)}"]
        if self.out_channels:
            kh, kw = pair(self.kernel)
            parts.append(f"weight {(self.out_channels, self.channels, kh, kw)}")
            parts.append("bias" if self.bias else "bias=None")
        else:
            parts.append(f"kernel_size={self.kernel}")
        parts.append(f"stride={self.stride}")
        parts.append(f"padding={self.padding}")
        if strided(self.x_shape, self.contiguous):
            parts.append("non-contiguous x")
        return ", ".join(parts)

    def _repr_pretty_(self, printer, cycle) -> None:  # what Hypothesis prints in "Falsifying example"
        printer.text(repr(self))

    @property
    def x_shape(self) -> tuple[int, int, int, int]:
        return (self.batch, self.channels, self.height, self.width)

    def x(self, dtype: torch.dtype = torch.float64) -> torch.Tensor:
        return tensor(self.x_shape, self.seed, dtype, self.contiguous)

    def weight(self, dtype: torch.dtype = torch.float64) -> torch.Tensor:
        kh, kw = pair(self.kernel)
        return tensor((self.out_channels, self.channels, kh, kw), self.seed + 1, dtype)

    def bias_tensor(self, dtype: torch.dtype = torch.float64) -> torch.Tensor | None:
        return tensor((self.out_channels,), self.seed + 2, dtype) if self.bias else None


@st.composite
def window_cases(draw: st.DrawFn, *, conv: bool, max_side: int = 9, max_padding_ratio: float = 1.0,
                 allow_none_stride: bool = False) -> WindowCase:
    """Shapes first (batch, channels, kernel, stride, padding, input size), then a value seed.

    Covers batch 1, non-square inputs and kernels, stride below and above the kernel size,
    padding, int and pair arguments. ``max_padding_ratio=0.5`` keeps padding <= kernel/2
    (PyTorch's rule for pooling).
    """
    batch = draw(st.integers(1, 3))
    channels = draw(st.integers(1, 3))
    kh = draw(st.integers(1, 4))
    kw = draw(st.integers(1, 4))
    sh = draw(st.integers(1, 3))
    sw = draw(st.integers(1, 3))
    ph = draw(st.integers(0, int(kh * max_padding_ratio)))
    pw = draw(st.integers(0, int(kw * max_padding_ratio)))
    as_pair = draw(st.booleans())
    height = draw(st.integers(max(1, kh - 2 * ph), max_side))
    width = draw(st.integers(max(1, kw - 2 * pw), max_side))
    stride: IntOrPair | None = _int_or_pair(sh, sw, as_pair)
    if allow_none_stride and draw(st.booleans()):
        stride = None
    return WindowCase(
        batch=batch,
        channels=channels,
        height=height,
        width=width,
        kernel=_int_or_pair(kh, kw, as_pair),
        stride=stride,
        padding=_int_or_pair(ph, pw, as_pair),
        seed=draw(seeds()),
        contiguous=draw(st.booleans()),
        out_channels=draw(st.integers(1, 4)) if conv else 0,
        bias=draw(st.booleans()) if conv else False,
    )


@dataclass(frozen=True)
class TensorCase:
    """A tensor of some shape, its values drawn from ``seed`` and multiplied by ``scale``."""

    shape: tuple[int, ...]
    seed: int
    scale: float = 1.0
    contiguous: bool = True

    def __repr__(self) -> str:
        parts = [f"x {self.shape}"]
        if self.scale != 1.0:
            parts.append(f"values ~ N(0, {self.scale:g}^2)")
        if strided(self.shape, self.contiguous):
            parts.append("non-contiguous x")
        return ", ".join(parts)

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(repr(self))

    def x(self, dtype: torch.dtype = torch.float64) -> torch.Tensor:
        return tensor(self.shape, self.seed, dtype, self.contiguous, self.scale)


@st.composite
def tensor_cases(draw: st.DrawFn, *, min_dims: int = 1, max_dims: int = 4, max_side: int = 6,
                 scales: tuple[float, ...] = (1.0,)) -> TensorCase:
    """Shapes first (``min_dims`` to ``max_dims`` axes of 1 to ``max_side``), then a value seed."""
    shape = tuple(draw(st.lists(st.integers(1, max_side), min_size=min_dims, max_size=max_dims)))
    return TensorCase(
        shape=shape,
        seed=draw(seeds()),
        scale=draw(st.sampled_from(scales)),
        contiguous=draw(st.booleans()),
    )


@dataclass(frozen=True)
class LogitsCase:
    """A batch of ``batch`` logit rows over ``classes`` classes, and one target class per row."""

    batch: int
    classes: int
    seed: int
    scale: float = 1.0

    def __repr__(self) -> str:
        text = f"logits ({self.batch}, {self.classes}), targets ({self.batch},)"
        return text + (f", logits ~ N(0, {self.scale:g}^2)" if self.scale != 1.0 else "")

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(repr(self))

    def logits(self, dtype: torch.dtype = torch.float64) -> torch.Tensor:
        return tensor((self.batch, self.classes), self.seed, dtype, scale=self.scale)

    def targets(self) -> torch.Tensor:
        generator = torch.Generator().manual_seed(self.seed + 1)
        return torch.randint(0, self.classes, (self.batch,), generator=generator)


@st.composite
def logits_cases(draw: st.DrawFn, *, max_batch: int = 8, max_classes: int = 10,
                 scales: tuple[float, ...] = (1.0,)) -> LogitsCase:
    """Batch size and class count first (both from 1), then a value seed and a logit scale."""
    return LogitsCase(
        batch=draw(st.integers(1, max_batch)),
        classes=draw(st.integers(1, max_classes)),
        seed=draw(seeds()),
        scale=draw(st.sampled_from(scales)),
    )


@dataclass(frozen=True)
class DropoutCase:
    """An input tensor, a drop probability ``p`` and the seed of the dropout generator."""

    shape: tuple[int, ...]
    p: float
    seed: int

    def __repr__(self) -> str:
        return f"x {self.shape}, p={self.p}, generator seed {self.seed}"

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(repr(self))

    def x(self, dtype: torch.dtype = torch.float64) -> torch.Tensor:
        """Standard-normal values, none of them 0 (so "dropped" and "kept" are told apart)."""
        values = tensor(self.shape, self.seed + 1, dtype)
        return torch.where(values == 0, torch.ones_like(values), values)


@st.composite
def dropout_cases(draw: st.DrawFn, *, max_dims: int = 4, max_side: int = 6) -> DropoutCase:
    """Shape first, then p (round values and arbitrary ones in (0, 1)), then the generator seed."""
    shape = tuple(draw(st.lists(st.integers(1, max_side), min_size=1, max_size=max_dims)))
    p = draw(st.one_of(st.sampled_from([0.1, 0.25, 0.5, 0.75, 0.9]),
                       st.floats(0.01, 0.99).map(lambda value: round(value, 3))))
    return DropoutCase(shape=shape, p=p, seed=draw(seeds()))
