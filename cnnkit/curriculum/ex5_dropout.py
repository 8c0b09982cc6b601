"""Exercise 5's hints: what the feedback says about a known mistake of ``dropout`` or a failed check.

The graders recognise a mistake (``Mistake(id, wrong_answer)``, or ``fail(..., mistake=id)``); a
hint keyed by a check's name (``no_graph``) follows any failure of that check in this exercise.
The words live here, once, in their two forms (see ``cnnkit.grading.hints``).
"""

from __future__ import annotations

from collections.abc import Mapping

from cnnkit.grading.hints import HintText

_IDENTITY = "return x unchanged when training is False"
_PER_ELEMENT = "draw one random number per element of x (a tensor of x's shape), not one per row or per column"

HINTS: Mapping[str, HintText] = {
    # -- known mistakes (graders/test_ex5_dropout.py and the hidden checks) --
    "eval_scaled_up": HintText(
        "in eval mode dropout is the identity: inverted dropout does all of its scaling in training",
        _IDENTITY),
    "eval_scaled_down": HintText(
        "in eval mode dropout is the identity: scaling by 1 - p at inference is the rule of the original, "
        "non-inverted dropout",
        _IDENTITY),
    "p_one_nan": HintText(
        "0 / 0 is NaN: with p = 1 every value is dropped and the scale 1 - p is 0",
        "treat p = 1 on its own and return zeros of x's shape and dtype"),
    "kept_not_scaled": HintText(
        "kept values were not rescaled: inverted dropout divides them by the keep probability 1 - p in "
        "training, so that the expected output equals x",
        "multiply x by the keep mask, then divide by 1 - p"),
    "kept_scaled_by_keep_probability": HintText(
        "kept values were multiplied by 1 - p: inverted dropout divides by it (multiplying is the original "
        "dropout's rule, at inference)",
        "divide the kept values by 1 - p"),
    "keeps_with_probability_p": HintText(
        "you keep each element with probability p, but p is the probability to drop it",
        "keep an element where its uniform random number is at least p"),
    "mean_not_x": HintText(
        "on average the output must equal x: the keep probability and the scaling must cancel",
        "keep each element with probability 1 - p and divide the kept ones by 1 - p"),
    "global_random_state": HintText(
        "the mask ignored the generator: the same seed must give the same mask",
        "draw the random numbers from the generator argument (torch.rand and torch.bernoulli accept one), "
        "not from the global random state"),
    "mask_not_random": HintText(
        "different seeds gave the same mask: the mask must be drawn at random on every call",
        "draw a fresh random number per element from the generator on each call"),
    "mask_not_per_element": HintText(
        "the mask is shared between elements: every element needs its own independent random decision",
        _PER_ELEMENT),
    # -- checks (any failure of that check in this exercise) --
    "no_graph": HintText(
        "autograd found no path from the output back to x: the output must be x times the mask (and the "
        "scale), computed with torch operations",
        "multiply x by the mask tensor and divide; never rebuild values through .item() or torch.tensor"),
}
