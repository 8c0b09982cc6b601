"""Exercise 12's hints: what the feedback says about a known mistake of ``cross_entropy_backward``.

The graders recognise a mistake (``Mistake(id, wrong_answer)``); an overflow gets the kit-wide
``nonfinite`` hint. The words live here, once, in their two forms (see ``cnnkit.grading.hints``).
"""

from __future__ import annotations

from collections.abc import Mapping

from cnnkit.grading.hints import HintText

HINTS: Mapping[str, HintText] = {
    "missing_one_over_n": HintText(
        "the gradient is N times too large: the loss is the mean over the batch, so every row's gradient is "
        "divided by the batch size",
        "divide the difference of the probabilities and the one-hot targets by the number of rows"),
    "sign_flipped": HintText(
        "the sign is flipped: raising the target's logit lowers the loss, so the gradient there is negative",
        "subtract the one-hot targets from the softmax, not the other way round"),
    "softmax_over_batch": HintText(
        "softmax over the batch: each row's probabilities are normalised over its classes",
        "take the maximum and the sum along the class axis (dim 1)"),
    "one_hot_missing": HintText(
        "the one-hot of the targets is missing: the loss's derivative subtracts 1 at each row's target class",
        "build the one-hot matrix of the targets (F.one_hot, or indexing) and subtract it from the softmax"),
}
