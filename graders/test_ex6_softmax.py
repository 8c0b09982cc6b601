"""Public checks for exercise 6, ``softmax`` and ``cross_entropy``: PyTorch as the oracle, huge logits."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from cnnkit import tolerances
from cnnkit.grading.checks import Mistake, check_tensor, fail
from cnnkit.grading.strategies import LogitsCase, TensorCase, logits_cases, tensor_cases



def softmax_hints(logits: torch.Tensor, dim: int) -> list[Mistake]:
    """Known wrong answers for the softmax of ``logits`` along ``dim`` (hints: ``cnnkit/curriculum/ex6_softmax.py``)."""
    hints = [Mistake("softmax_wrong_axis", lambda d=d: F.softmax(logits, d))
             for d in range(-logits.dim(), 0) if d % logits.dim() != dim % logits.dim()]
    hints.append(Mistake("softmax_not_normalised", lambda: torch.exp(logits - logits.amax(dim=dim, keepdim=True))))
    return hints


def unshifted_softmax(logits: torch.Tensor, dim: int) -> Mistake:
    """The softmax without its max shift, which overflows for large logits."""
    return Mistake("softmax_overflow", lambda: torch.exp(logits) / torch.exp(logits).sum(dim, keepdim=True))


def log_of_softmax(logits: torch.Tensor, targets: torch.Tensor) -> Mistake:
    """The cross-entropy as the log of a softmax, which underflows to -inf for a tiny probability."""
    return Mistake("ce_log_of_softmax", lambda: -torch.log(F.softmax(logits, 1)).gather(1, targets[:, None]).mean())


def cross_entropy_hints(logits: torch.Tensor, targets: torch.Tensor) -> list[Mistake]:
    """Known wrong answers for the cross-entropy of ``logits`` against ``targets``."""
    return [
        Mistake("ce_summed", lambda: F.cross_entropy(logits, targets, reduction="sum")),
        Mistake("ce_per_example", lambda: F.cross_entropy(logits, targets, reduction="none")),
        Mistake("ce_sign_flipped", lambda: -F.cross_entropy(logits, targets)),
        Mistake("ce_softmax_first", lambda: F.cross_entropy(F.softmax(logits, 1), targets)),
    ]


@st.composite
def softmax_cases(draw: st.DrawFn) -> tuple[TensorCase, int]:
    """A tensor (1 to 4 axes) and an axis of it, drawn as a negative or non-negative index."""
    case = draw(tensor_cases(min_dims=1, max_dims=4, scales=(1.0, 10.0)))
    dims = len(case.shape)
    return case, draw(st.integers(-dims, dims - 1))


@pytest.mark.points(1.5)
@given(case_and_dim=softmax_cases())
def test_softmax_matches_torch(sub, case_and_dim):
    """Any shape, any dim (negative too), non-contiguous inputs."""
    case, dim = case_and_dim
    logits = case.x()
    got = sub.softmax(logits, dim)
    check_tensor(got, F.softmax(logits, dim), what=f"softmax(dim={dim})", case=f"{case}, dim={dim}",
                 tol=tolerances.for_logits(logits), hints=softmax_hints(logits, dim))


@pytest.mark.points(0.5)
def test_softmax_default_dim_is_last(sub):
    """Without ``dim``, softmax normalises the last axis."""
    logits = torch.randn(3, 4, 5, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    check_tensor(sub.softmax(logits), F.softmax(logits, -1), what="softmax()", case="logits (3, 4, 5), dim not given",
                 hints=softmax_hints(logits, -1))


@pytest.mark.points(0.5)
def test_softmax_rows_sum_to_one_and_shift_invariant(sub):
    """Rows sum to 1, and adding a constant to every logit of a row changes nothing."""
    logits = torch.randn(6, 7, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    shift = torch.linspace(-50.0, 50.0, 6, dtype=torch.float64).unsqueeze(1)
    case = "logits (6, 7), then logits + c with c from -50 to 50 per row"
    probs = sub.softmax(logits, 1)
    check_tensor(probs.sum(dim=1) if isinstance(probs, torch.Tensor) and probs.shape == logits.shape else probs,
                 torch.ones(6, dtype=torch.float64), what="softmax row sums", case=case)
    check_tensor(sub.softmax(logits + shift, 1), probs, what="softmax(logits + c)", case=case)


@pytest.mark.points(1)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_softmax_large_logits(sub, dtype):
    """Logits of 1e4 (and -1e4) give finite probabilities, no NaN or inf.

    In float32 a logit of 1e4 is only known to ~1e-3 (its rounding step), so the probabilities
    are compared within that (``tolerances.for_logits``): every stable formula passes.
    """
    logits = torch.tensor([[1e4, 0.0, -1e4], [1e4, 1e4 - 1, 1e4 - 2], [-1e4, -1e4, -1e4 + 3]], dtype=dtype)
    case = f"logits [[1e4, 0, -1e4], [1e4, 1e4-1, 1e4-2], [-1e4, -1e4, -1e4+3]] {dtype}"
    check_tensor(sub.softmax(logits, -1), F.softmax(logits, -1), what="softmax", case=case,
                 tol=tolerances.for_logits(logits), hints=[unshifted_softmax(logits, -1)])


@pytest.mark.points(1.5)
@given(case=logits_cases(scales=(1.0, 10.0)))
def test_cross_entropy_matches_torch(sub, case: LogitsCase):
    """Batch 1 to 8, 1 to 10 classes: the mean of -log softmax(logits)[target], as a 0-d tensor."""
    logits, targets = case.logits(), case.targets()
    expected = F.cross_entropy(logits, targets)
    got = sub.cross_entropy(logits, targets)
    check_tensor(got, expected, what="cross_entropy", case=case, tol=tolerances.for_logits(logits),
                 hints=cross_entropy_hints(logits, targets))


@pytest.mark.points(1)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_cross_entropy_extreme_logits(sub, dtype):
    """Confidently wrong logits (1e4 apart) give a large, finite loss; log(softmax) would give inf."""
    logits = torch.tensor([[1e4, 0.0, -1e4], [0.0, 1e3, 0.0], [5.0, -5.0, 1e4]], dtype=dtype)
    targets = torch.tensor([2, 0, 2])
    case = f"logits [[1e4, 0, -1e4], [0, 1e3, 0], [5, -5, 1e4]] {dtype}, targets [2, 0, 2]"
    check_tensor(sub.cross_entropy(logits, targets), F.cross_entropy(logits, targets), what="cross_entropy",
                 case=case, tol=tolerances.for_logits(logits), hints=[log_of_softmax(logits, targets)])


@pytest.mark.points(1)
@given(case=logits_cases(scales=(1.0, 10.0)))
def test_cross_entropy_gradient_matches_torch(sub, case: LogitsCase):
    """d loss / d logits = (softmax(logits) - onehot(targets)) / N, through autograd."""
    logits, targets = case.logits().requires_grad_(), case.targets()
    expected = F.cross_entropy(logits, targets)
    expected.backward()
    got, grads = sub.call_with_grad("cross_entropy", torch.tensor(1.0, dtype=torch.float64),
                                    logits.detach().requires_grad_(), targets)
    check_tensor(got, expected.detach(), what="cross_entropy forward", case=case, tol=tolerances.for_logits(logits))
    grad = grads.get("logits", next(iter(grads.values()), None))
    check_tensor(grad, logits.grad, what="cross_entropy gradient for logits", case=case,
                 tol=tolerances.for_logits(logits, tolerances.GRADIENT64))


@pytest.mark.points(0.5)
def test_cross_entropy_returns_0d_tensor(sub):
    """The loss is a 0-dimensional tensor (what ``loss.backward()`` needs), not a float or a (1,) tensor."""
    logits = torch.randn(4, 3, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    targets = torch.tensor([0, 2, 1, 1])
    got = sub.cross_entropy(logits, targets)
    if not isinstance(got, torch.Tensor):
        fail("cross_entropy", f"returned {type(got).__name__}; expected a 0-d torch.Tensor "
             "(do not call .item())", "logits (4, 3), targets (4,)")
    check_tensor(got, F.cross_entropy(logits, targets), what="cross_entropy", case="logits (4, 3), targets (4,)",
                 hints=cross_entropy_hints(logits, targets))


@pytest.mark.points(0.5)
def test_keeps_float32(sub):
    """float32 in, float32 out, for both functions."""
    logits = torch.randn(5, 4, generator=torch.Generator().manual_seed(3))
    targets = torch.tensor([3, 0, 1, 2, 0])
    case = "logits (5, 4) float32, targets (5,)"
    tol = tolerances.for_logits(logits)
    check_tensor(sub.softmax(logits, 1), F.softmax(logits, 1), what="softmax (float32)", case=case, tol=tol)
    check_tensor(sub.cross_entropy(logits, targets), F.cross_entropy(logits, targets),
                 what="cross_entropy (float32)", case=case, tol=tol)
