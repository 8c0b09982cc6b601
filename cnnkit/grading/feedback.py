"""Turn a failed grader test's exception into a status and a short, teaching message."""

from __future__ import annotations

from hypothesis.errors import Flaky

from cnnkit.sandbox import StudentCodeError, StudentError

MAX_FEEDBACK = 1500

_GRAPH = ("autograd needs a graph from the inputs to the output: build the result from torch operations "
          "(slicing, F.pad, unfold, einsum, matmul, torch.stack); .item(), .numpy() or torch.tensor(...) of "
          "computed numbers cut it")
_NO_GRADIENT = ("gradient", "NoneType")

#: Method hints: the stubs state what to compute, not how; once a failure shows a student is stuck
#: on the how, the feedback says how others do it. (exercise, status or None for any, words that
#: must all appear in the message, the hint).
METHOD_HINTS: tuple[tuple[str, str | None, tuple[str, ...], str], ...] = (
    ("ex2_conv2d", "timeout", (), "a Python loop over every output pixel is slow: x.unfold(dim, size, step) on "
     "axes 2 and 3 (after F.pad) cuts all windows at once, (N, C_in, H_out, W_out, kH, kW), and torch.einsum "
     "(or a reshape and a matmul) contracts them with the weights"),
    ("ex2_conv2d", None, ("your shape",), "pad first, F.pad(x, (pw, pw, ph, ph)) (the width pair comes first), "
     "then each axis has exercise 1's number of window positions"),
    ("ex2_conv2d", None, _NO_GRADIENT, _GRAPH),
    ("ex3_pooling", "timeout", (), "cut all windows at once: F.pad, then x.unfold(2, kH, sH).unfold(3, kW, sW) "
     "gives (N, C, H_out, W_out, kH, kW); reduce the last two axes (amax, mean)"),
    ("ex3_pooling", None, ("your shape",), "pad first (F.pad(x, (pw, pw, ph, ph), value=...)); windows start every "
     "stride pixels, exercise 1's formula per axis, and stride=None means the kernel size"),
    ("ex3_pooling", None, _NO_GRADIENT, _GRAPH),
    *(("ex4_activations", None, (bad,), "for x >= 0 use 1 / (1 + exp(-x)), for x < 0 the equal exp(x) / (1 + exp(x)): "
       "every exponent is then <= 0; torch.where picks per element, so give each branch only its own half "
       "(torch.where(x >= 0, x, 0.0))") for bad in ("inf value", "NaN value")),
    ("ex5_dropout", None, _NO_GRADIENT, _GRAPH),
    ("ex6_softmax", None, _NO_GRADIENT, _GRAPH),
    ("ex10_conv_backward", "timeout", (), "a Python loop over every output pixel is slow: F.pad, then unfold on "
     "axes 2 and 3 gives the forward pass's windows (N, C_in, H_out, W_out, kH, kW), which einsum (or a reshape "
     "and a matmul) contracts with grad_out into grad_weight; for grad_x, add grad_out times each kernel entry "
     "back with one strided slice per kernel offset (kH * kW of them), or F.fold (col2im), then crop the padding"),
    ("ex11_pool_backward", "timeout", (), "cut all windows at once (F.pad, unfold on axes 2 and 3), flatten each "
     "and take argmax (max pooling); add every window's shares back with F.fold, scatter_add or one strided slice "
     "per kernel offset, then crop the padding"),
)


def method_hint(exercise: str, status: str, text: str) -> str | None:
    """The method hint for a failure of ``exercise`` whose message is ``text``, if one matches."""
    for module, wanted, words, hint in METHOD_HINTS:
        if module == exercise and wanted in (None, status) and all(word in text for word in words):
            return hint
    return None


def _leaf(exc: BaseException) -> BaseException:
    """The first real exception inside (possibly nested) exception groups."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _falsifying_example(exc: BaseException) -> str:
    """Hypothesis's 'Falsifying example: test(a=1, b=2)' note, as 'a=1, b=2' without the ``sub`` fixture."""
    notes = [str(note) for note in getattr(exc, "__notes__", []) if "Falsifying example" in str(note)]
    if not notes:
        return ""
    arguments = []
    for line in notes[0].splitlines()[1:]:
        line = line.split("  #", 1)[0].strip().rstrip(",")
        if line and line != ")" and not line.startswith("sub="):
            arguments.append(line)
    return ", ".join(arguments)


def status_of(exc: BaseException) -> str:
    """passed/failed/error/timeout/forbidden for an exception raised by a grader test."""
    leaf = _leaf(exc)
    if isinstance(leaf, StudentError):
        return leaf.status
    if isinstance(leaf, AssertionError) or isinstance(exc, Flaky):  # Flaky: a failure that did not reproduce
        return "failed"
    return "error"


def describe_failure(exc: BaseException, exercise: str) -> str:
    """The message, the minimal failing example Hypothesis found, and the student's traceback."""
    leaf = _leaf(exc)
    if isinstance(exc, Flaky):
        text = (f"{exercise}: your code gave different results for the same input "
                "(unseeded randomness, or state kept between calls)")
    elif isinstance(leaf, (AssertionError, StudentError)):
        text = str(leaf).strip() or type(leaf).__name__
    else:
        text = f"grader error (not your fault; please report it): {type(leaf).__name__}: {leaf}"
    hint = method_hint(exercise, status_of(exc), text)
    if hint and "hint:" not in text:
        text += f"\n  hint: {hint}"
    example = _falsifying_example(exc) or _falsifying_example(leaf)
    if example:
        text += f"\n  smallest failing example: {example}"
    if isinstance(leaf, StudentCodeError) and leaf.student_traceback:
        text += "\n  where (your code):\n" + "\n".join("    " + l for l in leaf.student_traceback.strip().splitlines()[-6:])
    if len(text) > MAX_FEEDBACK:
        text = text[: MAX_FEEDBACK - 20] + " ... (truncated)"
    return text
