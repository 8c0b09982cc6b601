"""Hidden checks for exercise 2, ``conv2d``: the reference as a second oracle, larger and odd cases."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given

from cnnkit import tolerances
from cnnkit.grading.checks import check_tensor
from cnnkit.grading.strategies import WindowCase, tensor, window_cases
from graders.test_ex2_conv2d import conv_hints, conv_mistakes


@pytest.mark.points(2)
@given(case=window_cases(conv=True, max_side=12))
def test_matches_torch_and_reference_larger(sub, ref, case):
    """Inputs up to 12x12: agree with PyTorch and with the reference solution."""
    x, w, b = case.x(), case.weight(), case.bias_tensor()
    got = sub.conv2d(x, w, b, stride=case.stride, padding=case.padding)
    check_tensor(got, F.conv2d(x, w, b, stride=case.stride, padding=case.padding), what="conv2d", case=case,
                 hints=conv_hints(case, x, w, b))
    check_tensor(got, ref.conv2d(x, w, b, stride=case.stride, padding=case.padding), what="conv2d vs reference",
                 case=case)


# Odd settings, each (case, why it matters).
EDGE_CASES = [
    (WindowCase(1, 1, 5, 5, 1, 1, 0, 11, out_channels=1, bias=True), "1x1 kernel"),
    (WindowCase(2, 3, 4, 6, (4, 6), 1, 0, 12, out_channels=2), "kernel as large as the input: 1x1 output"),
    (WindowCase(1, 2, 9, 7, 2, (4, 3), 1, 13, out_channels=3, bias=True), "stride larger than the kernel"),
    (WindowCase(1, 1, 1, 12, (1, 3), (1, 2), (0, 1), 14, out_channels=2), "a single row"),
    (WindowCase(2, 8, 5, 5, 3, 1, 1, 15, out_channels=6, bias=True), "many channels"),
    (WindowCase(1, 2, 6, 6, (3, 1), (2, 1), (2, 0), 16, contiguous=False, out_channels=2), "tall kernel, tall padding"),
    (WindowCase(3, 1, 3, 3, 3, 3, 2, 17, out_channels=1), "padding 2 around a 3x3 input, stride 3"),
]


@pytest.mark.points(2)
@pytest.mark.parametrize(("case", "why"), EDGE_CASES, ids=[why for _, why in EDGE_CASES])
def test_edge_cases(sub, case, why):
    """1x1 kernels, kernels as large as the input, single rows, many channels, large padding."""
    x, w, b = case.x(), case.weight(), case.bias_tensor()
    got = sub.conv2d(x, w, b, stride=case.stride, padding=case.padding)
    check_tensor(got, F.conv2d(x, w, b, stride=case.stride, padding=case.padding), what="conv2d",
                 case=f"{case} ({why})", hints=conv_hints(case, x, w, b))


@pytest.mark.points(0.5)
def test_non_contiguous_weight_and_channels_last(sub):
    """A transposed weight and a channels-last input hold the same values: same result."""
    x = tensor((2, 3, 7, 5), 21).to(memory_format=torch.channels_last)
    w = tensor((4, 3, 3, 2), 22).transpose(-1, -2)  # (4, 3, 2, 3), non-contiguous
    b = tensor((4,), 23)
    case = "x (2, 3, 7, 5) channels-last, weight (4, 3, 2, 3) non-contiguous, bias, stride=(2, 1), padding=(1, 2)"
    check_tensor(sub.conv2d(x, w, b, (2, 1), (1, 2)), F.conv2d(x, w, b, (2, 1), (1, 2)), what="conv2d", case=case,
                 hints=conv_mistakes(x, w, b, (2, 1), (1, 2)))


@pytest.mark.points(1)
@given(case=window_cases(conv=True, max_side=8))
def test_gradients_match_reference(sub, ref, case):
    """Gradients for x, weight and bias equal the reference's (autograd through its code)."""
    x, w, b = case.x().requires_grad_(), case.weight().requires_grad_(), case.bias_tensor()
    if b is not None:
        b.requires_grad_()
    expected = ref.conv2d(x, w, b, case.stride, case.padding)
    grad_out = tensor(tuple(expected.shape), case.seed + 5)
    expected.backward(grad_out)
    got, grads = sub.call_with_grad("conv2d", grad_out, x.detach().requires_grad_(), w.detach().requires_grad_(),
                                    b.detach().requires_grad_() if b is not None else None,
                                    stride=case.stride, padding=case.padding)
    check_tensor(got, expected.detach(), what="conv2d forward", case=case,
                 hints=conv_hints(case, x.detach(), w.detach(), b.detach() if b is not None else None))
    for name, leaf in (("x", x), ("weight", w), ("bias", b)):
        if leaf is not None:
            check_tensor(grads.get(name), leaf.grad, what=f"conv2d gradient for {name}", case=case,
                         tol=tolerances.GRADIENT64)


@pytest.mark.points(0.5)
@given(case=window_cases(conv=True, max_side=7))
def test_float32_matches_torch(sub, case):
    """float32 inputs of every shape: float32 output, within float32 tolerance."""
    x, w, b = case.x(torch.float32), case.weight(torch.float32), case.bias_tensor(torch.float32)
    check_tensor(sub.conv2d(x, w, b, case.stride, case.padding), F.conv2d(x, w, b, case.stride, case.padding),
                 what="conv2d (float32)", case=case, hints=conv_hints(case, x, w, b))
