"""Public checks for exercise 2, ``conv2d``: a worked example, then PyTorch as the oracle."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given

from cnnkit import tolerances
from cnnkit.grading.checks import Mistake, check_tensor
from cnnkit.grading.strategies import WindowCase, pair, window_cases


def conv_mistakes(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None, stride: int | tuple[int, int],
                  padding: int | tuple[int, int]) -> list[Mistake]:
    """Known wrong answers for this input, computed lazily with torch (hints: ``cnnkit/curriculum/ex2_conv2d.py``)."""
    stride, padding = pair(stride), pair(padding)
    return [
        Mistake("kernel_flipped", lambda: F.conv2d(x, w.flip(-1, -2), b, stride, padding)),
        Mistake("padding_ignored", lambda: F.conv2d(x, w, b, stride, 0)),
        Mistake("padded_one_side", lambda: F.conv2d(F.pad(x, (padding[1], 0, padding[0], 0)), w, b, stride, 0)),
        Mistake("padded_one_side", lambda: F.conv2d(F.pad(x, (0, padding[1], 0, padding[0])), w, b, stride, 0)),
        Mistake("bias_missing", lambda: F.conv2d(x, w, None, stride, padding)),
        Mistake("stride_height_only", lambda: F.conv2d(x, w, b, (stride[0], 1), padding)),
        Mistake("stride_width_only", lambda: F.conv2d(x, w, b, (1, stride[1]), padding)),
        Mistake("height_width_swapped", lambda: F.conv2d(x, w, b, stride[::-1], padding[::-1])),
    ]


def conv_hints(case: WindowCase, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None) -> list[Mistake]:
    """``conv_mistakes`` for a generated case's stride and padding."""
    return conv_mistakes(x, w, b, case.stride or 1, case.padding)


@pytest.mark.points(1)
def test_worked_example(sub):
    """A 1x1x3x3 input of 1..9 and a 2x2 kernel [[1, 0], [0, -1]]: out[i, j] = x[i, j] - x[i+1, j+1]."""
    x = torch.arange(1.0, 10.0, dtype=torch.float64).reshape(1, 1, 3, 3)
    w = torch.tensor([[[[1.0, 0.0], [0.0, -1.0]]]], dtype=torch.float64)
    expected = torch.full((1, 1, 2, 2), -4.0, dtype=torch.float64)
    got = sub.conv2d(x, w)
    check_tensor(got, expected, what="conv2d", case="x = 1..9 as (1, 1, 3, 3), weight [[1, 0], [0, -1]]",
                 hints=[Mistake("kernel_flipped", lambda: -expected)])


@pytest.mark.points(4)
@given(case=window_cases(conv=True))
def test_matches_torch(sub, case):
    """Random shapes, strides, padding, int/pair arguments, bias or None, non-contiguous x."""
    x, w, b = case.x(), case.weight(), case.bias_tensor()
    expected = F.conv2d(x, w, b, stride=case.stride, padding=case.padding)
    got = sub.conv2d(x, w, b, stride=case.stride, padding=case.padding)
    check_tensor(got, expected, what="conv2d", case=case, hints=conv_hints(case, x, w, b))


@pytest.mark.points(2)
@given(case=window_cases(conv=True, max_side=6))
def test_gradients_match_torch(sub, case):
    """Autograd through your conv2d gives PyTorch's gradients for x, weight and bias."""
    x, w, b = case.x(), case.weight(), case.bias_tensor()
    expected_out = F.conv2d(x, w, b, stride=case.stride, padding=case.padding)
    grad_out = torch.randn(expected_out.shape, generator=torch.Generator().manual_seed(case.seed + 3), dtype=torch.float64)
    inputs = {"x": x.requires_grad_(), "weight": w.requires_grad_()}
    if b is not None:
        inputs["bias"] = b.requires_grad_()
    F.conv2d(inputs["x"], inputs["weight"], inputs.get("bias"), case.stride, case.padding).backward(grad_out)
    got_out, grads = sub.call_with_grad(
        "conv2d", grad_out, inputs["x"].detach().requires_grad_(), inputs["weight"].detach().requires_grad_(),
        inputs["bias"].detach().requires_grad_() if b is not None else None, stride=case.stride, padding=case.padding,
    )
    mistakes = conv_hints(case, x.detach(), w.detach(), b.detach() if b is not None else None)  # no graph
    check_tensor(got_out, expected_out.detach(), what="conv2d forward", case=case, hints=mistakes)
    for name, tensor in inputs.items():
        check_tensor(grads.get(name), tensor.grad, what=f"conv2d gradient for {name}", case=case,
                     tol=tolerances.GRADIENT64)


@pytest.mark.points(1)
def test_keeps_float32(sub):
    """float32 in, float32 out (no silent upcast to float64)."""
    x = torch.randn(2, 3, 5, 5, generator=torch.Generator().manual_seed(0))
    w = torch.randn(4, 3, 3, 3, generator=torch.Generator().manual_seed(1))
    check_tensor(sub.conv2d(x, w, None, 1, 1), F.conv2d(x, w, None, 1, 1), what="conv2d (float32)",
                 case="x (2, 3, 5, 5) float32, weight (4, 3, 3, 3), padding=1", hints=conv_mistakes(x, w, None, 1, 1))
