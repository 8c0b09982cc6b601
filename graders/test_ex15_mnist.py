"""Public checks for exercise 15, ``compare_models``: trained for real on the embedded MNIST sample, then measured.

The sample (``datasets/mnist_sample.npz``: 2,000 training and 500 test digits, 200 and 50 per
class) is loaded here, on the grader's side, and the batches are sent to your code. The models
you return are measured by the kit, not taken at your word: it counts their parameters, runs
them on the same test batches (and on the first training digits), and compares their weights with
the ones they started from. Accuracy only has to clear a generous bar: a few epochs on 2,000
images is noisy.
"""

from __future__ import annotations

import pytest

from cnnkit.curriculum.ex15_mnist import (
    Runs,
    check_parameters,
    check_reported_accuracy,
    check_reported_losses,
    check_structure,
    check_trained,
)
from cnnkit.mnist.data import sample_batches

PLAIN = ("PlainNN",)
SMALL = ("SmallCNN",)
EPOCHS = 2
#: The bars the kit's measurement of each trained model must clear (chance is 10 %; the reference reaches ~91 %).
LEAST_ACCURACY = {"PlainNN": 75.0, "SmallCNN": 60.0}
MODELS = pytest.mark.parametrize("names", [PLAIN, SMALL], ids=["PlainNN", "SmallCNN"])


@pytest.fixture(scope="module")
def run(sub):
    """``run(names, epochs, **options)`` -> the student's results and their models, measured by the kit in the
    worker (no reference here); each distinct call runs once."""
    return Runs(sub, {"shuffled": sample_batches(batch_size=64, seed=0)})


def trained(run, names: tuple[str, ...]):
    """The two-epoch run of ``names``, its structure checked; (run, case)."""
    case = f"compare_models(sample, num_epochs={EPOCHS}, model_names={names})"
    result = run(names, EPOCHS)
    check_structure(result.results, names, EPOCHS, case)
    return result, case


@pytest.mark.points(2)
def test_results_structure(run):
    """One entry per model name, with parameters, accuracy, seconds, per-epoch losses and the model."""
    trained(run, PLAIN)


@pytest.mark.points(1.5)
@MODELS
def test_parameter_counts(run, names):
    """The kit counts the returned model's trainable parameters: exercise 7's count, and the number reported."""
    result, case = trained(run, names)
    check_parameters(result, names[0], case)


@pytest.mark.points(1.5)
@MODELS
def test_models_learn(run, names):
    """The returned model was trained (every weight moved from its seeded start, within Adam's reach) and the kit's
    own measurement of it clears the bars: test accuracy, and its loss on training digits."""
    result, case = trained(run, names)
    check_trained(result, names[0], LEAST_ACCURACY[names[0]], case)


@pytest.mark.points(1)
@MODELS
def test_reported_accuracy_is_measured(run, names):
    """test_accuracy is what the returned model reads on the test batches (the kit runs it on the same batches)."""
    result, case = trained(run, names)
    check_reported_accuracy(result, names[0], case)


@pytest.mark.points(1)
@MODELS
def test_reported_losses_fit_the_model(run, names):
    """epoch_losses go down, and the last one is consistent with the returned model's own loss on training digits."""
    result, case = trained(run, names)
    check_reported_losses(result, names[0], case)
