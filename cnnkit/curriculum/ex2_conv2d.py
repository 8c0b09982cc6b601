"""Exercise 2's hints: what the feedback says about a known mistake of ``conv2d`` or a failed check.

The graders recognise a mistake (``Mistake(id, wrong_answer)``); a hint keyed by a check's name
(``shape``, ``timeout``, ``nonfinite``, ``no_graph``) follows any failure of that check in this exercise. The
words live here, once, in their two forms (see ``cnnkit.grading.hints``).
"""

from __future__ import annotations

from collections.abc import Mapping

from cnnkit.grading.hints import HintText

HINTS: Mapping[str, HintText] = {
    # -- known mistakes (graders/test_ex2_conv2d.py: conv_hints) --
    "kernel_flipped": HintText(
        "the kernel was flipped: what deep-learning libraries call convolution is a cross-correlation, "
        "the kernel slides over the input as it is",
        "multiply each window by the kernel entry at the same offset, without reversing its rows or columns"),
    "padding_ignored": HintText(
        "the padding was ignored: the input gets zero rows above and below and zero columns left and right "
        "before the kernel slides over it",
        "pad the input with zeros first (F.pad, whose pairs start with the last axis), then slide over the "
        "padded tensor"),
    "padded_one_side": HintText(
        "the padding went on one side only: `padding` zero rows go above and as many below, and `padding` zero "
        "columns left and as many right, so each axis grows by twice the padding",
        "give F.pad a before and an after amount for each of the two last axes (width first), both equal to "
        "that axis's padding"),
    "bias_missing": HintText(
        "the bias is missing: each output channel adds its own bias value at every position",
        "add the bias after the sum, shaped so that it broadcasts over the batch and both spatial axes"),
    "stride_height_only": HintText(
        "the stride was applied on the height axis only: the window steps by the stride along both axes",
        "step by the stride's first entry down the rows and by its second entry across the columns"),
    "stride_width_only": HintText(
        "the stride was applied on the width axis only: the window steps by the stride along both axes",
        "step by the stride's first entry down the rows and by its second entry across the columns"),
    "height_width_swapped": HintText(
        "stride and padding are (height, width) pairs; yours look swapped",
        "the first entry of each pair belongs to axis 2 (height), the second to axis 3 (width); F.pad's "
        "pairs run the other way, last axis first"),
    # -- checks (any failure of that check in this exercise) --
    "shape": HintText(
        "the output shape is wrong: the output is (N, C_out, H_out, W_out), one channel per kernel, and each "
        "spatial axis has as many window positions as exercise 1's formula gives for that axis",
        "pad both sides of each axis first (F.pad takes the width pair first), then cut windows at the "
        "stride along axes 2 and 3"),
    "timeout": HintText(
        "your conv2d is too slow: a Python loop over every output pixel makes thousands of small torch calls",
        "cut all windows at once with Tensor.unfold on the two spatial axes of the padded input, then contract "
        "them with the kernels in one einsum (or a reshape and a matmul)"),
    "nonfinite": HintText(
        "NaN or inf in the output although every input is finite: a convolution only multiplies and adds, so some "
        "entry was never written (a tensor from torch.empty holds whatever was in memory)",
        "start sums from zeros (torch.zeros or a *_like function), or compute every entry at once from the "
        "windows (Tensor.unfold and einsum)"),
    "no_graph": HintText(
        "autograd found no path from your output back to x, weight and bias: numbers taken out of tensors "
        "(.item(), .numpy(), a new torch.tensor of computed values) cut the graph",
        "build the output from torch operations on the inputs themselves: F.pad, Tensor.unfold, einsum or "
        "matmul, slicing and sums all record the graph"),
}
