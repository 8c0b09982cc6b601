"""Exercise 10's hints: what the feedback says about a known mistake of ``conv2d_backward`` or a failed check.

The graders recognise a mistake (``Mistake(id, wrong_answer)``); a hint keyed by a check's name
(``timeout``, ``nonfinite``) follows any failure of that check in this exercise. The words live here, once, in
their two forms (see ``cnnkit.grading.hints``).
"""

from __future__ import annotations

from collections.abc import Mapping

from cnnkit.grading.hints import HintText

_SUM_BIAS = "sum grad_out over the batch axis and both spatial axes, keeping only the channel axis"

HINTS: Mapping[str, HintText] = {
    # -- grad_x (graders/test_ex10_conv_backward.py: grad_x_hints) --
    "padding_not_cropped": HintText(
        "the padding was not cropped: grad_x has x's shape, and the gradient of the padded rows and columns "
        "belongs to no pixel of x",
        "compute the gradient of the padded input, then keep only its inner part, dropping the padding's rows "
        "and columns on every side"),
    "kernel_flipped_wrong": HintText(
        "the kernel is flipped the wrong number of times: sending grad_out times the kernel back into each "
        "window needs no flip; written as a full convolution of grad_out, it needs exactly one",
        "for each kernel offset, add grad_out times that kernel entry back at the input positions the offset "
        "read in the forward pass"),
    "stride_ignored_in_grad_x": HintText(
        "the stride was ignored when sending gradients back: each output position read a window that starts a "
        "whole stride after its neighbour's",
        "step through the padded gradient by the stride when you add each window's share back (a strided "
        "slice per kernel offset, or F.fold with the stride)"),
    # -- grad_weight (grad_weight_hints) --
    "grad_weight_unpadded": HintText(
        "grad_weight must come from the windows of the padded input, the ones the forward pass multiplied "
        "with the kernel; yours used x without its padding",
        "pad x as the forward pass did before pairing its windows with grad_out"),
    "grad_weight_channels_swapped": HintText(
        "grad_weight has weight's shape (C_out, C_in, kH, kW); yours has the two channel axes swapped",
        "contract over the batch and the output positions so that the output channel comes first"),
    # -- grad_bias (grad_bias_hints) --
    "bias_averaged": HintText(
        "grad_bias was averaged: the bias is added at every position of every image, so its gradient is a sum",
        _SUM_BIAS),
    "bias_first_image_only": HintText(
        "only the first image counted: the bias is shared by the whole batch, so every image adds to its gradient",
        _SUM_BIAS),
    "bias_batch_not_summed": HintText(
        "grad_bias has one value per output channel: the batch axis must be summed away too", _SUM_BIAS),
    "bias_positions_not_summed": HintText(
        "grad_bias has one value per output channel: the spatial axes must be summed away too", _SUM_BIAS),
    # -- checks (any failure of that check in this exercise) --
    "nonfinite": HintText(
        "NaN or inf in a gradient although every input is finite: the backward pass only multiplies and adds, so "
        "some entry was never written (a tensor from torch.empty holds whatever was in memory)",
        "accumulate into tensors that start at zero (torch.zeros or a *_like function)"),
    "timeout": HintText(
        "your conv2d_backward is too slow: a Python loop over every output pixel makes thousands of small "
        "torch calls",
        "loop over the kernel offsets only (kH * kW of them): for each, one strided slice of the padded input "
        "pairs with grad_out for grad_weight, and one strided slice of the padded gradient receives grad_out "
        "times that kernel entry (Tensor.unfold with einsum, or F.fold, does the same at once); crop the "
        "padding at the end"),
}
