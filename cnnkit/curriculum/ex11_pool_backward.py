"""Exercise 11's hints: what the feedback says about a known mistake of the pooling backward passes or a failed check.

The graders recognise a mistake (``Mistake(id, wrong_answer)``); a hint keyed by a check's name
(``timeout``, ``nonfinite``) follows any failure of that check in this exercise. The words live here, once, in
their two forms (see ``cnnkit.grading.hints``).
"""

from __future__ import annotations

from collections.abc import Mapping

from cnnkit.grading.hints import HintText

_FIRST_MAX = "flatten each window, take its argmax (the first maximum), and send the whole gradient there only"
_SHARE = "divide each window's gradient by kH * kW before adding it back to every pixel of the window"

HINTS: Mapping[str, HintText] = {
    # -- max_pool2d_backward (graders/test_ex11_pool_backward.py: max_hints) --
    "max_to_every_tie": HintText(
        "with ties, a window's whole gradient goes to ONE position (PyTorch's rule: the first maximum in "
        "row-major order), not to every tied position",
        _FIRST_MAX),
    "max_ties_split": HintText(
        "ties: the rule here is PyTorch's, the whole gradient to the first maximum in row-major order, not "
        "split evenly among the tied positions",
        _FIRST_MAX),
    "max_pads_with_zeros": HintText(
        "the padding won the max: padded with zeros, an all-negative window's maximum is the padding, which "
        "took the window's gradient",
        "pad with negative infinity before finding each window's maximum"),
    "stride_none_is_one": HintText(
        "stride None means the stride is the kernel size (windows side by side), not 1",
        "replace a missing stride by the kernel size before cutting the windows"),
    # -- avg_pool2d_backward (avg_hints) --
    "avg_excludes_padding": HintText(
        "padded zeros count in the average (exercise 3's rule): every window divides by kH * kW, also where it "
        "overlaps the padding",
        "give every pixel of a window the same share, the window's gradient divided by kH * kW, then crop the "
        "padding"),
    "avg_not_divided": HintText(
        "each window's gradient was not divided by its size: the average spreads it evenly over its kH * kW pixels",
        _SHARE),
    "avg_divided_by_height": HintText(
        "divided by kH alone: the window holds kH * kW pixels", _SHARE),
    "avg_divided_by_width": HintText(
        "divided by kW alone: the window holds kH * kW pixels", _SHARE),
    # -- checks (any failure of that check in this exercise) --
    "nonfinite": HintText(
        "NaN or inf in the gradient although every input is finite: the -inf padding that finds the maxima must "
        "never enter the gradient itself (-inf times 0 is NaN), and an accumulated gradient starts at zero",
        "pad with negative infinity only to find each window's maximum, route grad_out into a gradient that "
        "starts at zero, then crop the padding"),
    "timeout": HintText(
        "your pooling backward is too slow: a Python loop over every output pixel makes thousands of small "
        "torch calls",
        "cut all windows at once (F.pad, then Tensor.unfold on axes 2 and 3), route each window's gradient "
        "inside it (argmax for max, an even share for average), add the windows back with F.fold, scatter_add "
        "or one strided slice per kernel offset, then crop the padding"),
}
