"""Public checks for exercise 1, ``conv_output_size``: worked examples and PyTorch's own layers."""

from __future__ import annotations

import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

from cnnkit.grading.checks import Mistake, check_int, fail

# The kit's worked examples on a 32x32 image (see the exercise's docstring).
EXAMPLES_32 = [
    # (kernel, stride, padding, expected)
    (3, 1, 0, 30),
    (3, 1, 1, 32),
    (5, 1, 2, 32),
    (2, 2, 0, 16),
    (3, 2, 0, 15),
]


def _hints(in_size: int, kernel: int, stride: int, padding: int) -> list[Mistake]:
    """Known wrong sizes for this setting (their hints: ``cnnkit/curriculum/ex1_output_size.py``)."""
    return [
        Mistake("padding_counted_once", lambda: (in_size + padding - kernel) // stride + 1),
        Mistake("plus_one_inside_division", lambda: (in_size + 2 * padding - kernel + 1) // stride),
        Mistake("rounded_up", lambda: -(-(in_size + 2 * padding - kernel) // stride) + 1),
        Mistake("no_plus_one", lambda: (in_size + 2 * padding - kernel) // stride),
    ]


@pytest.mark.points(1)
@pytest.mark.parametrize(("kernel", "stride", "padding", "expected"), EXAMPLES_32)
def test_worked_examples_on_32(sub, kernel, stride, padding, expected):
    case = f"in_size=32, kernel_size={kernel}, stride={stride}, padding={padding}"
    got = sub.conv_output_size(32, kernel, stride, padding)
    check_int(got, expected, what="conv_output_size", case=case, hints=_hints(32, kernel, stride, padding))


@pytest.mark.points(1)
@given(
    in_size=st.integers(1, 40),
    kernel=st.integers(1, 7),
    stride=st.integers(1, 5),
    padding=st.integers(0, 3),
)
def test_matches_torch_conv_layer(sub, in_size, kernel, stride, padding):
    """Agree with the spatial size an actual ``nn.Conv2d`` produces (rectangular input)."""
    assume(kernel <= in_size + 2 * padding)  # invalid settings are the ValueError tests' (and do not count here)
    case = f"in_size={in_size}, kernel_size={kernel}, stride={stride}, padding={padding}"
    layer = torch.nn.Conv2d(1, 1, kernel, stride, padding, bias=False)
    with torch.no_grad():
        expected = layer(torch.zeros(1, 1, in_size, kernel)).shape[2]
    got = sub.conv_output_size(in_size, kernel, stride, padding)
    check_int(got, int(expected), what="conv_output_size", case=case, hints=_hints(in_size, kernel, stride, padding))


INVALID = [
    # (in_size, kernel, stride, padding, what is wrong)
    (28, 0, 1, 0, "kernel_size 0"),
    (28, 3, 0, 0, "stride 0"),
    (28, 3, -1, 0, "negative stride"),
    (28, 3, 1, -1, "negative padding"),
    (4, 7, 1, 1, "kernel larger than the padded input (4 + 2*1 = 6 < 7)"),
]


@pytest.mark.points(1)
@pytest.mark.parametrize(("in_size", "kernel", "stride", "padding", "problem"), INVALID)
def test_rejects_invalid_arguments(sub, in_size, kernel, stride, padding, problem):
    case = f"in_size={in_size}, kernel_size={kernel}, stride={stride}, padding={padding}"
    try:
        got = sub.conv_output_size(in_size, kernel, stride, padding)
    except Exception as exc:  # the student's ValueError arrives as a StudentCodeError
        if getattr(exc, "exc_type", "") == "ValueError":
            return
        raise
    fail("conv_output_size", f"returned {got!r} for an invalid setting ({problem}); expected a ValueError", case,
         mistake="invalid_setting_accepted")
