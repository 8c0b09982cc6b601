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
class Mistake:
    """A known mistake: if the student's answer matches ``wrong_answer()``, the check names ``id``.

    What the feedback then says is declared once, per exercise, with the exercise's hints
    (``cnnkit.grading.hints``): the grader only recognises the mistake.
    """

    id: str
    wrong_answer: Callable[[], Any]


@dataclass(frozen=True)
class Hint:
    """A hint written in the grader itself (graders written for 0.1; the kit's own declare ``Mistake``s)."""

    message: str
    wrong_answer: Callable[[], Any]


Recognised = Mistake | Hint


class CheckFailure(AssertionError):
    """A check's verdict on the student's answer, in parts the feedback can group and explain.

    ``check`` names the check that failed (``"shape"``, ``"values"``, ``"int_type"``, ...) and
    ``mistake`` the known mistake the answer matched (a ``Mistake`` id): together they choose the
    hint (``cnnkit.grading.hints``) and group failures that are one mistake. ``hint`` is a hint
    written in the grader itself (``Hint``, 0.1 graders).
    """

    def __init__(self, what: str, problem: str, case: Any = None, *, check: str = "", mistake: str = "",
                 hint: str = "") -> None:
        self.what, self.problem, self.case = what, problem, case
        self.check, self.mistake, self.hint = check, mistake, hint or ""
        super().__init__(self.text() + (f"\n  hint: {self.hint}" if self.hint else ""))

    def text(self) -> str:
        """What was checked and what is wrong, then the input: no hint."""
        lines = [f"{self.what}: {self.problem}"]
        if self.case is not None:
            lines.append(f"  input: {self.case}")
        return "\n".join(lines)


def _type_of(value: Any) -> str:
    if isinstance(value, Foreign):
        return value.describe()
    return type(value).__name__


def fail(what: str, problem: str, case: Any = None, hint: str | None = None, *, check: str = "",
         mistake: str = "") -> None:
    """Raise the grader's ``CheckFailure`` (an ``AssertionError``) with a consistent layout.

    ``check``: the check's name, ``mistake``: the id of the known mistake recognised (the feedback
    finds their hints); ``hint``: a hint written here (0.1 graders; the kit's graders declare theirs).
    """
    raise CheckFailure(what, problem, case, check=check, mistake=mistake, hint=hint or "")


def _matches(got: torch.Tensor, candidate: Any, tol: Tolerance) -> bool:
    try:
        if not isinstance(candidate, torch.Tensor) or candidate.shape != got.shape:
            return False
        return bool(torch.allclose(got.to(candidate.dtype), candidate, rtol=tol.rtol, atol=tol.atol, equal_nan=True))
    except (RuntimeError, TypeError):
        return False


def _recognised(recognised: Recognised) -> dict[str, str]:
    """``fail``'s keywords for a recognised mistake: its id, or a 0.1 grader's own hint text."""
    return {"mistake": recognised.id} if isinstance(recognised, Mistake) else {"hint": recognised.message}


def _first_match(got: Any, mistakes: Sequence[Recognised], tol: Tolerance) -> dict[str, str]:
    if not isinstance(got, torch.Tensor):
        return {}
    for mistake in mistakes:
        try:
            candidate = mistake.wrong_answer()
        except Exception:  # noqa: BLE001 - a wrong answer that cannot be computed is simply skipped
            continue
        if _matches(got, candidate, tol):
            return _recognised(mistake)
    return {}


def check_tensor(
    got: Any,
    expected: torch.Tensor,
    *,
    what: str,
    case: Any = None,
    tol: Tolerance | None = None,
    hints: Sequence[Recognised] = (),
    check_dtype: bool = True,
    check_values: bool = True,
) -> None:
    """Assert ``got`` is a tensor like ``expected``: type, device, dtype, shape, finiteness, values.

    ``hints``: the known mistakes (``Mistake``) to recognise in a wrong answer. ``check_values=False``
    stops after the finiteness check (the caller checks the values its own way).
    """
    tol = tol or tolerances.for_dtype(expected.dtype)
    if not isinstance(got, torch.Tensor):
        check = "missing" if got is None else "numpy" if "numpy" in _type_of(got) else "type"
        fail(what, f"returned {_type_of(got)}; expected a torch.Tensor", case, check=check)
    if got.device != expected.device:
        fail(what, f"your tensor is on {got.device}; expected {expected.device}", case, check="device")
    if check_dtype and got.dtype != expected.dtype:
        fail(what, f"your dtype {got.dtype} / expected dtype {expected.dtype} (keep the input's dtype)", case,
             check="dtype")
    if tuple(got.shape) != tuple(expected.shape):
        fail(what, f"your shape {tuple(got.shape)} / expected shape {tuple(expected.shape)}", case, check="shape",
             **_first_shape_match(got, hints))
    got_c = got.to(expected.dtype)
    bad_nan = torch.isnan(got_c) & ~torch.isnan(expected)
    bad_inf = torch.isinf(got_c) & ~torch.isinf(expected)
    for mask, label in ((bad_nan, "NaN"), (bad_inf, "inf")):
        if bool(mask.any()):
            index = _first_index(mask)
            fail(what, f"{int(mask.sum())} {label} value(s); first at index {index}, where expected is "
                 f"{_number(expected[index])}", case, check="nonfinite", **_first_match(got, hints, tol))
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
            case, check="values", **_first_match(got, hints, tol),
        )


def _first_shape_match(got: torch.Tensor, mistakes: Sequence[Recognised]) -> dict[str, str]:
    for mistake in mistakes:
        try:
            candidate = mistake.wrong_answer()
        except Exception:  # noqa: BLE001
            continue
        if isinstance(candidate, torch.Tensor) and candidate.shape == got.shape:
            return _recognised(mistake)
    return {}


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


def check_int(got: Any, expected: int, *, what: str, case: Any = None, hints: Sequence[Recognised] = ()) -> None:
    """Assert ``got`` is exactly the Python int ``expected`` (bools and floats are wrong types)."""
    if isinstance(got, bool) or not isinstance(got, int):
        fail(what, f"returned {_type_of(got)} {got!r}; expected the int {expected}", case,
             check="int_from_float" if isinstance(got, float) else "int_type")
    if got != expected:
        recognised = next((mistake for mistake in hints if _safe(mistake.wrong_answer) == got), None)
        fail(what, f"got {got}, expected {expected}", case, check="int_value",
             **(_recognised(recognised) if recognised else {}))


def check_float(got: Any, expected: float, *, what: str, case: Any = None, tol: Tolerance = tolerances.FLOAT32) -> None:
    """Assert ``got`` is a real number (int or float, not a tensor) close to ``expected``."""
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        fail(what, f"returned {_type_of(got)}; expected a Python float", case, check="float_type")
    if not math.isclose(float(got), expected, rel_tol=tol.rtol, abs_tol=tol.atol):
        digits = 6 if f"{float(got):.6g}" != f"{expected:.6g}" else 12  # never "got 66.6667, expected 66.6667"
        fail(what, f"got {float(got):.{digits}g}, expected {expected:.{digits}g} (tolerance {tol.describe()})", case,
             check="float_value")


def _safe(compute: Callable[[], Any]) -> Any:
    try:
        return compute()
    except Exception:  # noqa: BLE001
        return object()
