"""Checks that explain themselves: type, then shape, then values (the 11-785 order).

Every failure message names what was checked, the input case (shapes, stride, padding, ...),
expected vs got, and a hint when the wrong answer matches a known mistake. Whole tensors are
never printed: at most the first mismatching index and its two values.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from cnnkit import tolerances
from cnnkit.sandbox.wire import Foreign
from cnnkit.tolerances import Tolerance


@dataclass(frozen=True)
class Hint:
    """A known mistake: if the student's answer matches ``wrong_answer()``, say ``message``."""

    message: str
    wrong_answer: Callable[[], Any]


def _type_of(value: Any) -> str:
    if isinstance(value, Foreign):
        return value.describe()
    return type(value).__name__


def fail(what: str, problem: str, case: Any = None, hint: str | None = None) -> None:
    """Raise the grader's AssertionError with a consistent layout."""
    lines = [f"{what}: {problem}"]
    if case is not None:
        lines.append(f"  input: {case}")
    if hint:
        lines.append(f"  hint: {hint}")
    raise AssertionError("\n".join(lines))


def _matches(got: torch.Tensor, candidate: Any, tol: Tolerance) -> bool:
    try:
        if not isinstance(candidate, torch.Tensor) or candidate.shape != got.shape:
            return False
        return bool(torch.allclose(got.to(candidate.dtype), candidate, rtol=tol.rtol, atol=tol.atol, equal_nan=True))
    except (RuntimeError, TypeError):
        return False


def _first_hint(got: Any, hints: Sequence[Hint], tol: Tolerance) -> str | None:
    if not isinstance(got, torch.Tensor):
        return None
    for hint in hints:
        try:
            candidate = hint.wrong_answer()
        except Exception:  # noqa: BLE001 - a hint that cannot be computed is simply skipped
            continue
        if _matches(got, candidate, tol):
            return hint.message
    return None


def check_tensor(
    got: Any,
    expected: torch.Tensor,
    *,
    what: str,
    case: Any = None,
    tol: Tolerance | None = None,
    hints: Sequence[Hint] = (),
    check_dtype: bool = True,
    check_values: bool = True,
) -> None:
    """Assert ``got`` is a tensor like ``expected``: type, device, dtype, shape, finiteness, values.

    ``check_values=False`` stops after the finiteness check (the caller checks the values its own way).
    """
    tol = tol or tolerances.for_dtype(expected.dtype)
    if not isinstance(got, torch.Tensor):
        extra = " (convert with torch.from_numpy, or stay in torch throughout)" if "numpy" in _type_of(got) else ""
        fail(what, f"returned {_type_of(got)}; expected a torch.Tensor{extra}", case)
    if got.device != expected.device:
        fail(what, f"your tensor is on {got.device}; expected {expected.device}", case)
    if check_dtype and got.dtype != expected.dtype:
        fail(what, f"your dtype {got.dtype} / expected dtype {expected.dtype} (keep the input's dtype)", case)
    if tuple(got.shape) != tuple(expected.shape):
        hint = _first_hint_shape(got, hints)
        fail(what, f"your shape {tuple(got.shape)} / expected shape {tuple(expected.shape)}", case, hint)
    got_c = got.to(expected.dtype)
    bad_nan = torch.isnan(got_c) & ~torch.isnan(expected)
    bad_inf = torch.isinf(got_c) & ~torch.isinf(expected)
    for mask, label in ((bad_nan, "NaN"), (bad_inf, "inf")):
        if bool(mask.any()):
            index = _first_index(mask)
            fail(
                what,
                f"{int(mask.sum())} {label} value(s); first at index {index}, where expected is "
                f"{_number(expected[index])}",
                case,
                _first_hint(got, hints, tol) or "an overflow? exp of a large number is inf: exponentiate only numbers <= 0 (subtract the maximum first)",
            )
    if not check_values:
        return
    close = torch.isclose(got_c, expected, rtol=tol.rtol, atol=tol.atol, equal_nan=True)
    if not bool(close.all()):
        index = _first_index(~close)
        error = (got_c - expected).abs()
        error = torch.where(torch.isnan(error), torch.zeros_like(error), error)
        fail(
            what,
            f"{int((~close).sum())} of {close.numel()} values differ; first at index {index}: "
            f"got {_pair(got_c[index], expected[index])} "
            f"(largest error {_number(error.max())}; tolerance {tol.describe()})",
            case,
            _first_hint(got, hints, tol),
        )


def _first_hint_shape(got: torch.Tensor, hints: Sequence[Hint]) -> str | None:
    for hint in hints:
        try:
            candidate = hint.wrong_answer()
        except Exception:  # noqa: BLE001
            continue
        if isinstance(candidate, torch.Tensor) and candidate.shape == got.shape:
            return hint.message
    return None


def _first_index(mask: torch.Tensor) -> tuple[int, ...]:
    flat = int(torch.nonzero(mask.reshape(-1))[0])
    return tuple(int(i) for i in torch.unravel_index(torch.tensor(flat), mask.shape)) if mask.dim() else ()


def _pair(got: Any, expected: Any) -> str:
    """``"got-value, expected expected-value"`` with enough digits that the two differ on the page."""
    short = (_number(got), _number(expected))
    if short[0] == short[1]:
        short = (_number(got, 12), _number(expected, 12))
    return f"{short[0]}, expected {short[1]}"


def _number(value: Any, digits: int = 6) -> str:
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        return str(number)
    return f"{number:.{digits}g}"


def check_int(got: Any, expected: int, *, what: str, case: Any = None, hints: Sequence[Hint] = ()) -> None:
    """Assert ``got`` is exactly the Python int ``expected`` (bools and floats are wrong types)."""
    if isinstance(got, bool) or not isinstance(got, int):
        fail(what, f"returned {_type_of(got)} {got!r}; expected the int {expected}", case,
             "use // (floor division); / gives a float" if isinstance(got, float) else None)
    if got != expected:
        hint = next((h.message for h in hints if _safe(h.wrong_answer) == got), None)
        fail(what, f"got {got}, expected {expected}", case, hint)


def check_float(got: Any, expected: float, *, what: str, case: Any = None, tol: Tolerance = tolerances.FLOAT32) -> None:
    """Assert ``got`` is a real number (int or float, not a tensor) close to ``expected``."""
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        fail(what, f"returned {_type_of(got)}; expected a Python float (use .item() on a 0-d tensor)", case)
    if not math.isclose(float(got), expected, rel_tol=tol.rtol, abs_tol=tol.atol):
        digits = 6 if f"{float(got):.6g}" != f"{expected:.6g}" else 12  # never "got 66.6667, expected 66.6667"
        fail(what, f"got {float(got):.{digits}g}, expected {expected:.{digits}g} (tolerance {tol.describe()})", case)


def _safe(compute: Callable[[], Any]) -> Any:
    try:
        return compute()
    except Exception:  # noqa: BLE001
        return object()
