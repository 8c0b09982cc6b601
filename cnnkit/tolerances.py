"""Every numerical tolerance the graders use, in one place.

Graders compare in float64 wherever they can (inputs are generated in float64 and the oracle is
run in float64), so the tolerances are tight; float32 checks exist where an exercise's contract
is about float32 (dtype preservation, the models).
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


def for_dtype(dtype: torch.dtype) -> Tolerance:
    """The value tolerance for results of ``dtype``."""
    return FLOAT64 if dtype == torch.float64 else FLOAT32
