"""Hidden checks for exercise 1, ``conv_output_size``: the reference as a second oracle, wider ranges, edges."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from cnnkit.grading.checks import Mistake, check_int, fail
from cnnkit.sandbox import StudentCodeError


def _hints(in_size: int, kernel: int, stride: int, padding: int) -> list[Mistake]:
    """Known wrong sizes for this setting (their hints: ``cnnkit/curriculum/ex1_output_size.py``)."""
    return [
        Mistake("padding_counted_once", lambda: (in_size + padding - kernel) // stride + 1),
        Mistake("rounded_up", lambda: -(-(in_size + 2 * padding - kernel) // stride) + 1),
        Mistake("no_plus_one", lambda: (in_size + 2 * padding - kernel) // stride),
    ]


@pytest.mark.points(0.5)
@given(
    in_size=st.integers(1, 10**6),
    kernel=st.integers(1, 64),
    stride=st.integers(1, 32),
    padding=st.integers(0, 32),
)
def test_matches_reference_on_large_sizes(sub, ref, in_size, kernel, stride, padding):
    """Large inputs, strides larger than the kernel, wide padding: the same int as the reference."""
    assume(kernel <= in_size + 2 * padding)  # invalid settings are the ValueError tests' (and do not count here)
    case = f"in_size={in_size}, kernel_size={kernel}, stride={stride}, padding={padding}"
    check_int(sub.conv_output_size(in_size, kernel, stride, padding), ref.conv_output_size(in_size, kernel, stride, padding),
              what="conv_output_size", case=case, hints=_hints(in_size, kernel, stride, padding))


EDGES = [
    # (in_size, kernel, stride, padding, expected, what it tests)
    (5, 7, 1, 1, 1, "kernel exactly as large as the padded input"),
    (1, 1, 1, 0, 1, "the smallest valid setting"),
    (10, 2, 5, 0, 2, "stride larger than the kernel (pixels skipped)"),
    (28, 1, 3, 0, 10, "1-pixel kernel, stride 3"),
    (7, 3, 4, 1, 2, "stride larger than the kernel, with padding"),
    (28, 2, 2, 0, 14, "2x2 pooling on MNIST"),
    (14, 2, 2, 0, 7, "a second 2x2 pooling"),
    (32, 3, 100, 0, 1, "stride larger than the input"),
]


@pytest.mark.points(0.5)
def test_edge_settings(sub):
    """Kernel = padded input, stride > kernel, stride > input, 1-pixel kernels."""
    for in_size, kernel, stride, padding, expected, what in EDGES:
        case = f"in_size={in_size}, kernel_size={kernel}, stride={stride}, padding={padding} ({what})"
        check_int(sub.conv_output_size(in_size, kernel, stride, padding), expected, what="conv_output_size",
                  case=case, hints=_hints(in_size, kernel, stride, padding))


@pytest.mark.points(0.5)
def test_keyword_defaults(sub):
    """stride defaults to 1 and padding to 0; keyword arguments work."""
    check_int(sub.conv_output_size(28, 5), 24, what="conv_output_size", case="conv_output_size(28, 5)")
    check_int(sub.conv_output_size(in_size=28, kernel_size=5, padding=2), 28, what="conv_output_size",
              case="conv_output_size(in_size=28, kernel_size=5, padding=2)")


MORE_INVALID = [
    (0, 1, 1, 0, "in_size 0"),
    (-3, 1, 1, 0, "negative in_size"),
    (28, -1, 1, 0, "negative kernel_size"),
    (28, 3, 0, 1, "stride 0 with padding"),
    (5, 8, 1, 1, "kernel one larger than the padded input (5 + 2*1 = 7 < 8)"),
    (3, 5, 2, 0, "kernel larger than the unpadded input"),
]


@pytest.mark.points(0.5)
def test_rejects_more_invalid_arguments(sub):
    """Every invalid setting raises ValueError (not ZeroDivisionError, not a number)."""
    for in_size, kernel, stride, padding, problem in MORE_INVALID:
        case = f"in_size={in_size}, kernel_size={kernel}, stride={stride}, padding={padding}"
        try:
            got = sub.conv_output_size(in_size, kernel, stride, padding)
        except StudentCodeError as exc:
            if exc.exc_type == "ValueError":
                continue
            fail("conv_output_size", f"raised {exc.exc_type} for an invalid setting ({problem}); expected ValueError",
                 case, mistake="wrong_exception")
        fail("conv_output_size", f"returned {got!r} for an invalid setting ({problem}); expected a ValueError", case,
             mistake="invalid_setting_accepted")
