"""Public checks for exercise 14, ``compare_models``: trained for real on the embedded MNIST sample.

The sample (``datasets/mnist_sample.npz``: 2,000 training and 500 test digits, 200 and 50 per
class) is loaded here, on the grader's side, and the batches are sent to your code. Accuracy
only has to clear a generous bar: a few epochs on 2,000 images is noisy.
"""

from __future__ import annotations

import pytest

from cnnkit.curriculum.ex14_mnist import check_learns, check_parameters, check_structure
from cnnkit.mnist.data import sample_batches


@pytest.fixture(scope="module")
def run(sub):
    """``run(names, epochs, **kwargs)`` -> the student's results; each distinct call runs once."""
    train, test = sample_batches(batch_size=64, seed=0)
    memo: dict = {}

    def run_once(names: tuple[str, ...], epochs: int, **kwargs):
        key = (names, epochs, tuple(sorted(kwargs.items())))
        if key not in memo:
            try:
                memo[key] = ("ok", sub.compare_models(train, test, num_epochs=epochs, model_names=names, **kwargs))
            except Exception as exc:  # noqa: BLE001 - re-raised in every test that needs this run
                memo[key] = ("error", exc)
        status, value = memo[key]
        if status == "error":
            raise value
        return value

    return run_once


PLAIN = ("PlainNN",)
SMALL = ("SmallCNN",)


@pytest.mark.points(3)
def test_results_structure(run):
    """One entry per model name, with parameters, accuracy, seconds, per-epoch losses and the model."""
    case = "compare_models(sample, num_epochs=2, model_names=('PlainNN',))"
    check_structure(run(PLAIN, 2), PLAIN, 2, case)


@pytest.mark.points(2)
@pytest.mark.parametrize(("names", "epochs"), [(PLAIN, 2), (SMALL, 2)], ids=["PlainNN", "SmallCNN"])
def test_parameter_counts(run, names, epochs):
    case = f"compare_models(sample, num_epochs={epochs}, model_names={names})"
    results = run(names, epochs)
    check_structure(results, names, epochs, case)
    check_parameters(results, names[0], case)


@pytest.mark.points(2)
@pytest.mark.parametrize(("names", "least"), [(PLAIN, 75.0), (SMALL, 60.0)], ids=["PlainNN", "SmallCNN"])
def test_models_learn(run, names, least):
    case = f"compare_models(sample, num_epochs=2, model_names={names})"
    results = run(names, 2)
    check_structure(results, names, 2, case)
    check_learns(results, names[0], least, case)
