"""Hidden checks for exercise 15, ``compare_models``: the article's CNN, seeding, pass-through, measured here.

Every returned model is measured in this (trusted) process: its weights are loaded into the
reference ex7 model and run here, so no code of the student's takes part in the measurement.
"""

from __future__ import annotations

import pytest
from torch import nn

from cnnkit.curriculum.ex15_mnist import (
    PARAMETERS,
    WHAT,
    Runs,
    check_parameters,
    check_reported_accuracy,
    check_reported_losses,
    check_structure,
    check_trained,
    frozen_optimizer,
    measured,
    same_weights,
    zeroed_model,
)
from cnnkit.grading.checks import fail
from cnnkit.grading.plugin import load_reference
from cnnkit.mnist.data import Batches, sample_batches

ARTICLE_CASE = "compare_models(sample, num_epochs=1, model_names=('MNIST_CNN',))"
SEEDS_CASE = "compare_models(sample in a fixed order, num_epochs=1, model_names=('SmallCNN', 'PlainNN'), seed=3)"
#: The kit's plain cross-entropy of a PlainNN trained with label smoothing 0.9 stays near -ln(0.19) = 1.66 (the
#: smoothed target gives the right class 0.19); trained on plain cross-entropy it falls to about 0.6 in one epoch.
SMOOTHED_LEAST_LOSS = 1.2


@pytest.fixture(scope="module")
def run(sub):
    """``run(names, epochs, data="shuffled"|"fixed", **options)`` -> results and models measured by the reference."""
    shuffled, test = sample_batches(batch_size=64, seed=0)
    fixed = Batches(shuffled.images, shuffled.labels, batch_size=64, shuffle=False)  # only the seeding can differ
    return Runs(sub, {"shuffled": (shuffled, test), "fixed": (fixed, test)}, load_reference("ex7_models"))


def checked(run, names: tuple[str, ...], epochs: int, case: str, **options):
    result = run(names, epochs, **options)
    check_structure(result.results, names, epochs, case)
    return result


@pytest.mark.points(1)
def test_article_cnn(run):
    """MNIST_CNN: 1,625,866 parameters (3x the plain net's), counted by the kit, and it learns in one epoch."""
    names, case = ("MNIST_CNN",), ARTICLE_CASE
    result = checked(run, names, 1, case)
    check_parameters(result, "MNIST_CNN", case)
    check_trained(result, "MNIST_CNN", 60.0, case)


@pytest.mark.points(1.5)
@pytest.mark.parametrize("names", [("MNIST_CNN",), ("SmallCNN", "PlainNN")], ids=["MNIST_CNN", "SmallCNN+PlainNN"])
def test_reported_numbers_are_the_kits(run, names):
    """Every number reported for each returned model is the kit's own: parameters counted, test accuracy and the
    loss on training digits measured here, with the reference model holding the returned weights."""
    if names == ("MNIST_CNN",):
        case = ARTICLE_CASE
        result = checked(run, names, 1, case)
    else:
        case = SEEDS_CASE
        result = checked(run, names, 1, case, data="fixed", seed=3)
    for name in names:
        check_parameters(result, name, case)
        check_reported_accuracy(result, name, case)
        check_reported_losses(result, name, case)


@pytest.mark.points(1.5)
def test_seeds_before_each_model(run):
    """PlainNN trains identically alone and after SmallCNN: the seed is set before *each* model (the returned
    weights are compared, both trained)."""
    alone = checked(run, ("PlainNN",), 1, "compare_models(sample in a fixed order, num_epochs=1, "
                    "model_names=('PlainNN',), seed=3)", data="fixed", seed=3)
    after = checked(run, ("SmallCNN", "PlainNN"), 1, SEEDS_CASE, data="fixed", seed=3)
    for result in (alone, after):
        check_trained(result, "PlainNN", 60.0, SEEDS_CASE)
    if not same_weights(measured(alone, "PlainNN", SEEDS_CASE), measured(after, "PlainNN", SEEDS_CASE)):
        fail(WHAT, "PlainNN's trained weights depend on the models trained before it: alone and after SmallCNN, "
             "with the same seed and batches, it ends with other weights", SEEDS_CASE, check="seeding",
             mistake="seed_once")


@pytest.mark.points(0.5)
def test_seed_is_used(run):
    """Another seed, another initialisation: other trained weights."""
    case = "compare_models(sample in a fixed order, num_epochs=1, model_names=('PlainNN',), seed=3, then seed=4)"
    first = checked(run, ("PlainNN",), 1, case, data="fixed", seed=3)
    second = checked(run, ("PlainNN",), 1, case, data="fixed", seed=4)
    check_trained(second, "PlainNN", 60.0, case)
    if same_weights(measured(first, "PlainNN", case), measured(second, "PlainNN", case)):
        fail(WHAT, "seed=3 and seed=4 gave the same trained weights", case, check="seeding", mistake="seed_ignored")


@pytest.mark.points(1)
def test_criterion_is_passed_on(run):
    """A given criterion reaches train_model: heavy label smoothing keeps the reported loss above 1.5, and the
    returned model's plain cross-entropy (measured here) high, though it still reads the digits."""
    case = ("compare_models(sample, num_epochs=1, model_names=('PlainNN',), "
            "criterion=CrossEntropyLoss(label_smoothing=0.9))")
    result = checked(run, ("PlainNN",), 1, case, criterion=nn.CrossEntropyLoss(label_smoothing=0.9))
    check_trained(result, "PlainNN", 60.0, case, least_loss=None)  # smoothed targets: the loss stays near 2
    reported, kit = result.results["PlainNN"]["epoch_losses"][0], measured(result, "PlainNN", case).loss()
    if reported < 1.5 or kit < SMOOTHED_LEAST_LOSS:
        fail(WHAT, f"the epoch loss is reported as {reported:.3f} and the returned model's plain cross-entropy is "
             f"{kit:.3f}: trained with label smoothing 0.9 they stay above 1.5 and {SMOOTHED_LEAST_LOSS}, so the "
             "criterion given was not used", case, check="pass_through", mistake="criterion_ignored")
    check_reported_losses(result, "PlainNN", case, label_smoothing=0.9)


@pytest.mark.points(1)
def test_lr_decay_is_applied_after_each_epoch(run):
    """lr_decay=0 leaves a learning rate of 0 after epoch 1: two epochs return the weights of one epoch."""
    case = "compare_models(sample, num_epochs=2, model_names=('PlainNN',), seed=5, lr_decay=0.0)"
    one = checked(run, ("PlainNN",), 1, "compare_models(sample, num_epochs=1, model_names=('PlainNN',), seed=5)",
                  seed=5)
    frozen = checked(run, ("PlainNN",), 2, case, seed=5, lr_decay=0.0)
    check_trained(one, "PlainNN", 60.0, case)
    if not same_weights(measured(one, "PlainNN", case), measured(frozen, "PlainNN", case)):
        after_one = measured(one, "PlainNN", case).accuracy()
        after_two = measured(frozen, "PlainNN", case).accuracy()
        fail(WHAT, f"with lr_decay=0 the second epoch runs at learning rate 0, so two epochs must return the weights "
             f"of one, but they differ (the kit measures {after_one:.2f} % after one epoch, {after_two:.2f} % after "
             "two)", case, check="pass_through", mistake="lr_decay_misapplied")


@pytest.mark.points(1)
def test_make_optimizer_is_passed_on(run):
    """A given make_optimizer builds the optimizer: SGD with learning rate 0 over all of PlainNN's parameters,
    stepped once per batch and epoch, and the returned weights are the initial ones."""
    case = "compare_models(sample, num_epochs=2, model_names=('PlainNN',), make_optimizer=<SGD with lr=0>)"
    result = checked(run, ("PlainNN",), 2, case, make_optimizer=frozen_optimizer)
    built = result.optimizers
    if len(built) != 1 or built[0]["elements"] != PARAMETERS["PlainNN"]:
        fail(WHAT, f"make_optimizer built {len(built)} optimizer(s) "
             f"{[record['elements'] for record in built]} (trainable elements); expected one, over all "
             f"{PARAMETERS['PlainNN']:,} of PlainNN's", case, check="pass_through", mistake="make_optimizer_ignored")
    if built[0]["steps"] != result.steps:
        fail(WHAT, f"the optimizer make_optimizer built stepped {built[0]['steps']} times; 2 epochs of "
             f"{result.steps // 2} batches make {result.steps}", case, check="pass_through",
             mistake="make_optimizer_ignored")
    model = measured(result, "PlainNN", case)
    if isinstance(model.initial, str) or any(not value.equal(model.initial[key]) for key, value in model.state.items()):
        fail(WHAT, "the returned PlainNN's weights moved, though the optimizer make_optimizer built has learning rate "
             "0: the model was trained by another optimizer", case, check="pass_through",
             mistake="make_optimizer_ignored")


@pytest.mark.points(0.5)
def test_prepare_model_is_applied(run):
    """A given prepare_model is applied to each new model: with every weight 0 only the output bias can learn."""
    case = "compare_models(sample, num_epochs=1, model_names=('PlainNN',), prepare_model=<set every weight to 0>)"
    result = checked(run, ("PlainNN",), 1, case, prepare_model=zeroed_model)
    model = measured(result, "PlainNN", case)
    *hidden, (output_bias, _, _) = model.parameters
    nonzero = [name for name, _, _ in hidden if model.state[name].any()]
    if nonzero:
        fail(WHAT, f"the returned PlainNN's {', '.join(nonzero)} are not 0: the prepare_model given (every weight "
             "set to 0, so no hidden unit activates and only the output bias learns) was not applied", case,
             check="pass_through", mistake="prepare_model_ignored")
    if not model.state[output_bias].any():
        fail(WHAT, f"the returned PlainNN's {output_bias} is still 0: with every weight zeroed, training moves the "
             "output bias only, and it did not move: the model was not trained", case, check="untrained",
             mistake="untrained")
    if model.accuracy() > 30.0:
        fail(WHAT, f"the returned PlainNN reads {model.accuracy():.1f} % of the test digits (measured here); with "
             "every weight zeroed it stays near chance", case)
