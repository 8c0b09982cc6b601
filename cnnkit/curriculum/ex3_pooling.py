"""Exercise 3's hints: what the feedback says about a known mistake of the pooling functions or a failed check.

The graders recognise a mistake (``Mistake(id, wrong_answer)``); a hint keyed by a check's name
(``shape``, ``timeout``, ``nonfinite``, ``no_graph``) follows any failure of that check in this exercise. The
words live here, once, in their two forms (see ``cnnkit.grading.hints``).
"""

from __future__ import annotations

from collections.abc import Mapping

from cnnkit.grading.hints import HintText

_STEP = "step the window by the stride on each axis (the step of Tensor.unfold)"

HINTS: Mapping[str, HintText] = {
    # -- known mistakes (graders/test_ex3_pooling.py: max_pool_hints, avg_pool_hints) --
    "max_pads_with_zeros": HintText(
        "max pooling padded with zeros: padding must never win a window's maximum, and a zero beats every "
        "negative value",
        "pad with negative infinity (F.pad accepts the value to pad with)"),
    "stride_none_is_one": HintText(
        "stride=None means the stride is the kernel size (windows side by side), not 1",
        "replace a missing stride by the kernel size before cutting the windows"),
    "stride_ignored": HintText(
        "the stride was ignored: each window starts a stride after the previous one, not one pixel after it",
        _STEP),
    "stride_is_kernel": HintText(
        "the window moved by the kernel size, not by the stride you were given: the kernel size stands in "
        "only when the stride is None",
        _STEP),
    "height_width_swapped": HintText(
        "kernel_size, stride and padding are (height, width) pairs; yours look swapped",
        "the first entry of each pair belongs to axis 2 (height), the second to axis 3 (width); F.pad's "
        "pairs run the other way, last axis first"),
    "avg_excludes_padding": HintText(
        "padded zeros count in the mean: every window is divided by its full size kH * kW (PyTorch's "
        "default), also where it overlaps the padding",
        "pad with zeros and average over the whole window, padding included"),
    "avg_is_sum": HintText(
        "that is each window's sum: the mean divides it by the window's size, kH * kW",
        "average over the two window axes (Tensor.mean), or divide the sum by the number of kernel entries"),
    "gradient_to_non_max": HintText(
        "max pooling's gradient belongs to the position(s) holding the window's maximum only: the other "
        "positions did not change the output",
        "let autograd route it: take the maximum with Tensor.amax over the window axes instead of building "
        "it from comparisons"),
    "tied_positions_get_full_gradient": HintText(
        "with ties, every tied position got the window's full gradient, so the window passed on more than it "
        "received",
        "send it to one of the tied positions (as PyTorch does), or split it among them (as Tensor.amax does)"),
    # -- checks (any failure of that check in this exercise) --
    "shape": HintText(
        "the output shape is wrong: after padding, each spatial axis has exercise 1's number of window "
        "positions, and stride=None means the kernel size",
        "pad both sides of each axis first (F.pad takes the width pair first), cut windows with Tensor.unfold "
        "at the stride on axes 2 and 3, and reduce only the two window axes"),
    "timeout": HintText(
        "your pooling is too slow: a Python loop over every output pixel makes thousands of small torch calls",
        "cut all windows at once with Tensor.unfold on the two spatial axes of the padded input, then reduce "
        "the two window axes (Tensor.amax, Tensor.mean)"),
    "nonfinite": HintText(
        "NaN or inf in the output although every input is finite: every window holds at least one real pixel "
        "(padding is at most half the kernel), so padding must never reach the result, and -inf times 0 is NaN",
        "pad with negative infinity for max pooling only and with zeros for average pooling, and reduce the "
        "window axes with Tensor.amax or Tensor.mean rather than with masks"),
    "no_graph": HintText(
        "autograd found no path from your output back to x: numbers taken out of tensors (.item(), .numpy(), "
        "a new torch.tensor of computed values) cut the graph",
        "build the output from torch operations on x itself: F.pad, Tensor.unfold, Tensor.amax and Tensor.mean "
        "all record the graph"),
}
