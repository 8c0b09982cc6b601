"""Exercise 4's hints: what the feedback says about a known mistake of the activations or a failed check.

The graders recognise a mistake (``Mistake(id, wrong_answer)``, or ``fail(..., mistake=id)``); a
hint keyed by a check's name (``nonfinite``) follows any failure of that check in this exercise.
The words live here, once, in their two forms (see ``cnnkit.grading.hints``).
"""

from __future__ import annotations

from collections.abc import Mapping

from cnnkit.grading.hints import HintText

_RELU = "keep x where it is positive and 0 elsewhere (torch.where, or Tensor.clamp with a lower bound)"

HINTS: Mapping[str, HintText] = {
    # -- known mistakes (graders/test_ex4_activations.py: hints_for, check_gradient) --
    "relu_leaky": HintText(
        "negative inputs became a small fraction of x: that is leaky ReLU; ReLU turns every negative input into 0",
        _RELU),
    "relu_abs": HintText(
        "negative inputs came out positive: that is the absolute value; ReLU turns them into 0, it does not flip "
        "their sign",
        _RELU),
    "sigmoid_mirrored": HintText(
        "the curve is mirrored: sigmoid rises from 0 far left to 1 far right; the sign of the exponent decides "
        "the direction",
        "check the sign inside the exponential: sigmoid is one over one plus the exponential of minus x"),
    "sigmoid_is_tanh": HintText(
        "that is tanh, between -1 and 1; sigmoid lies between 0 and 1 and is 1/2 at 0",
        "sigmoid is one over one plus the exponential of minus x (the lesson's formula)"),
    "tanh_is_sigmoid": HintText(
        "that is sigmoid, between 0 and 1; tanh lies between -1 and 1 and is 0 at 0",
        "tanh is the difference of the exponentials of x and of minus x, divided by their sum"),
    "tanh_half_argument": HintText(
        "yours equals tanh of x / 2: writing tanh through sigmoid needs sigmoid of twice the input",
        "build tanh from exponentials of twice the input, the negative one for x >= 0 and the positive one for "
        "x < 0, so that no exponent is positive"),
    "where_nan_gradient": HintText(
        "a NaN gradient: torch.where evaluates and back-propagates through both of its branches, so a branch "
        "that overflows where it is not selected still poisons the gradient",
        "feed each branch only its own half of the inputs: replace the other half by a harmless value (0) "
        "before exponentiating"),
    "gradient_vanished_at_zero": HintText(
        "the slope at 0 came out 0: torch's derivative of the absolute value (and of clamp at its bound) is 0 "
        "there, so a formula that routes x through them loses the slope",
        "split the input by its sign with torch.where instead of using the absolute value or clamp"),
    "tanh_cancellation": HintText(
        "tanh of a tiny x lost its digits: the formula subtracts two numbers close to 1, which cancels them",
        "torch.expm1 computes exp(t) - 1 without that loss"),
    "sigmoid_tail_rounded": HintText(
        "sigmoid of a large negative x lost its digits: one minus a number close to 1 rounds tiny values away",
        "for negative x use the equal form whose numerator is the exponential of x, which keeps tiny values"),
    # -- checks (any failure of that check in this exercise) --
    "nonfinite": HintText(
        "an overflow: exp of a large number is inf in floating point (above about 710 in float64, 89 in "
        "float32), and inf / inf is NaN",
        "for each sign of x use the algebraically equal form whose exponent is never positive; torch.where "
        "picks per element, so give each branch only its own half of the inputs"),
}
