"""Loops over index tuples (itertools.product), perturbs a copy in place and puts the saved value back."""

import itertools


def numerical_gradient(f, x, eps=1e-6):
    work = x.clone()
    grad = torch.zeros_like(x)
    for index in itertools.product(*(range(size) for size in x.shape)):
        saved = work[index].item()
        work[index] = saved + eps
        plus = f(work)
        work[index] = saved - eps
        minus = f(work)
        work[index] = saved
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def relative_error(a, b):
    worst = 0.0
    for left, right in zip(a.flatten().tolist(), b.flatten().tolist()):
        worst = max(worst, abs(left - right) / max(abs(left) + abs(right), 1e-8))
    return worst
