"""Exercise 6's hints: what the feedback says about a known mistake of ``softmax`` and ``cross_entropy``.

The graders recognise a mistake (``Mistake(id, wrong_answer)``); a hint keyed by a check's name
(``no_graph``) follows any failure of that check in this exercise (an overflow gets the kit-wide
``nonfinite`` hint). The words live here, once, in their two forms (see ``cnnkit.grading.hints``).
"""

from __future__ import annotations

from collections.abc import Mapping

from cnnkit.grading.hints import HintText

_MEAN = "reduce the per-example losses with their mean (Tensor.mean)"

HINTS: Mapping[str, HintText] = {
    # -- softmax (graders/test_ex6_softmax.py: softmax_hints) --
    "softmax_wrong_axis": HintText(
        "softmax normalised along the wrong axis: the probabilities must sum to 1 along the axis the dim "
        "argument names",
        "take the maximum and the sum along dim, keeping that axis so that both broadcast back"),
    "softmax_not_normalised": HintText(
        "the probabilities do not sum to 1: softmax divides each exponential by the sum of the exponentials "
        "along dim",
        "divide by the sum along dim, kept as an axis of size 1 so that it broadcasts"),
    "softmax_overflow": HintText(
        "exp overflowed for large logits: softmax does not change when one number is subtracted from every "
        "logit along dim",
        "subtract the maximum along dim before exponentiating: every exponent is then at most 0"),
    # -- cross_entropy (cross_entropy_hints) --
    "ce_summed": HintText(
        "the losses were summed over the batch: cross-entropy here is the mean over the examples", _MEAN),
    "ce_per_example": HintText(
        "that is one loss per example: return their mean, a single 0-d tensor", _MEAN),
    "ce_sign_flipped": HintText(
        "the sign is flipped: the loss is minus the log-probability of the target class, a positive number",
        "negate each target's log-probability before averaging"),
    "ce_softmax_first": HintText(
        "softmax was applied before cross-entropy: the loss takes raw logits and normalises them itself",
        "feed the logits straight into the log-sum-exp, with no softmax before it"),
    "ce_log_of_softmax": HintText(
        "the log of the softmax underflows: a tiny probability rounds to 0, and its log is -inf",
        "compute the log-probability directly with the log-sum-exp trick: each row's log-sum-exp (shifted by "
        "the row's maximum) minus the target's logit"),
    # -- checks (any failure of that check in this exercise) --
    "no_graph": HintText(
        "autograd found no path from your output back to the logits: numbers taken out of tensors (.item(), "
        ".numpy(), a new torch.tensor of computed values) cut the graph",
        "build the result from torch operations on the logits: exp, log, sums, maxima and indexing all record "
        "the graph"),
}
