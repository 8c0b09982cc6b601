"""Every numerical tolerance the graders use, in one place.

Graders compare in float64 wherever they can (inputs are generated in float64 and the oracle is
run in float64), so the tolerances are tight; float32 checks exist where an exercise's contract
is about float32 (dtype preservation, the models). No grader writes a number inline: a tolerance
a student could trip with correct float32 arithmetic is a false negative, so each one here says
what it allows and why.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Tolerance:
    rtol: float
    atol: float

    def describe(self) -> str:
        return f"|got - expected| <= {self.atol:g} + {self.rtol:g} * |expected|"


FLOAT64 = Tolerance(rtol=1e-7, atol=1e-9)
FLOAT32 = Tolerance(rtol=1e-4, atol=1e-5)
GRADIENT64 = Tolerance(rtol=1e-6, atol=1e-8)
MODEL32 = Tolerance(rtol=1e-4, atol=1e-5)  # whole-model forward passes in float32
LOSS = Tolerance(rtol=1e-4, atol=1e-5)  # training losses (float32 arithmetic, many steps)
# An accuracy in percent: counting in float32 tensors and returning (100 * correct / total).item()
# is off by a few 1e-6; one sample of 100,000 is 1e-3 percent, so a real miscount stays far outside.
PERCENT = Tolerance(rtol=1e-6, atol=1e-4)
# The documented accuracy demands of exercise 4, in float64 (stated in the stub): relative error
# below 1e-9 everywhere, also where the value is tiny (tanh(1e-300) = 1e-300, sigmoid(-700) ~ 1e-304).
RELATIVE64 = Tolerance(rtol=1e-9, atol=0.0)
# A dropout output is 0 or x / (1 - p); x * (1 / (1 - p)) or a float32 scale differ by a few ulps.
DROPOUT_SCALE = Tolerance(rtol=1e-6, atol=0.0)


def for_dtype(dtype: torch.dtype) -> Tolerance:
    """The value tolerance for results of ``dtype``."""
    return FLOAT64 if dtype == torch.float64 else FLOAT32


def for_logits(logits: torch.Tensor, base: Tolerance | None = None) -> Tolerance:
    """Softmax, log-sum-exp and cross-entropy are only as exact as their inputs' rounding.

    Any intermediate of the size of the logits (``logsumexp(z)`` itself) carries an absolute
    rounding error of ``eps * max|z|``, which becomes a relative error of the probabilities: in
    float32 at logits of 1e4 that is ~1e-3, whatever correct formula is used (``exp(z - m) /
    sum`` and ``exp(z - logsumexp(z))`` both pass). Negligible in float64 and at small logits.
    Capped at 1e-2: logits beyond ~1e4 in float32 (1e30) leave only the pattern to check (finite,
    one-hot), which NaN/inf checks and a 1e-2 closeness still do.
    """
    base = base or for_dtype(logits.dtype)
    magnitude = float(logits.detach().abs().amax()) if logits.numel() else 0.0
    slack = min(4 * torch.finfo(logits.dtype).eps * magnitude, 1e-2) if logits.dtype.is_floating_point else 0.0
    return Tolerance(rtol=base.rtol + slack, atol=base.atol + slack)


# Statistical checks (dropout in train mode): an observed rate passes within this many standard
# deviations of the expected one (a correct model fails one check in about 500 million at 6).
DROPOUT_SIGMAS = 6.0
# Statistical checks of random shifts (exercise 14): each of the 25 offsets' counts over 2,500 images must be
# within this many standard deviations of 100 (a correct implementation fails one in about 20 million at 6).
SHIFT_SIGMAS = 6.0
