"""Exercise 1: the output size of a convolution (or pooling) layer.

A convolution slides a ``kernel_size`` window over an input of ``in_size`` pixels, after
``padding`` zeros have been added on *each* side, moving ``stride`` pixels at a time.
The number of positions the window fits in is

    out = floor((in_size + 2 * padding - kernel_size) / stride) + 1

The ``floor`` matters. Many tutorials (the article this kit follows among them) write the
formula without it, but whenever ``stride`` does not divide ``in_size + 2*padding - kernel_size``
the last partial step is simply dropped: a 3x3 kernel with stride 2 over a 32-pixel input gives
``floor(29 / 2) + 1 = 15`` outputs, not 15.5. PyTorch's ``nn.Conv2d`` and ``nn.MaxPool2d``
(with the default ``ceil_mode=False``) use exactly this formula, once per spatial axis.

Worked examples on a 32x32 image:
    kernel 3, stride 1, padding 0  ->  30      (the window loses one pixel on each side)
    kernel 3, stride 1, padding 1  ->  32      ("same" padding keeps the size)
    kernel 5, stride 1, padding 2  ->  32
    kernel 2, stride 2, padding 0  ->  16      (a 2x2 pooling halves the size)
    kernel 3, stride 2, padding 0  ->  15      (the floor at work)
"""

# Exercise 1: Convolution output size. Worth 5 points: the public checks in
# graders/ give part of them; hidden checks of the same contract on more inputs, run when you
# submit, give the rest.
# Fill in every `raise NotImplementedError(...)`. Check your work with
#     pytest graders -m ex1_output_size
# Submit this file as ex1_output_size.py (see README.md, "Submitting").
# Rules every exercise shares:
#   - Never modify an argument in place (no `x += ...`, `x[...] = ...` or `x.mul_(...)` on an
#     input): the checks compare every input before and after each call.
#   - Return exactly the type and shape the contract names (a Python int where it says int, a tensor
#     of the input's dtype and device where it says tensor).
# Imports allowed: torch, torch.nn, torch.nn.functional, numpy, math, itertools, functools,
#     collections, collections.abc, dataclasses, typing, time, __future__. Anything else (sys, os,
#     ctypes, importlib, torch's private or internal modules, exec/eval, ...) is flagged for review
#     and scores 0; the check reads your source before it runs.
# (Generated from solutions/ex1_output_size.py by `cnnkit stubs`.)

from __future__ import annotations


def conv_output_size(in_size: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    """Number of output positions along one spatial axis of a convolution or pooling.

    Args:
        in_size: input length along the axis (H or W), at least 1.
        kernel_size: window length along the axis, at least 1.
        stride: step between window positions, at least 1.
        padding: zeros added on each side of the axis, at least 0.

    Returns:
        ``(in_size + 2 * padding - kernel_size) // stride + 1`` as a Python ``int``.

    Raises:
        ValueError: if ``in_size``, ``kernel_size`` or ``stride`` is not positive, if
            ``padding`` is negative, or if the kernel is larger than the padded input.
            The message names the offending argument and its value.
    """
    raise NotImplementedError("ex1_output_size: write conv_output_size")
