"""Hidden checks for exercise 14, ``compare_models``: the article's CNN, order, seeding, pass-through."""

from __future__ import annotations

import pytest
from torch import nn

from cnnkit.curriculum.ex14_mnist import (
    UNTRAINED_LOSS,
    WHAT,
    check_learns,
    check_parameters,
    check_structure,
    frozen_optimizer,
    zeroed_model,
)
from cnnkit.grading.checks import fail
from cnnkit.mnist.data import Batches, sample_batches


@pytest.fixture(scope="module")
def batches():
    return sample_batches(batch_size=64, seed=0)


def compare(sub, batches, names: tuple[str, ...], epochs: int, **kwargs):
    train, test = batches
    return sub.compare_models(train, test, num_epochs=epochs, model_names=names, **kwargs)


@pytest.mark.points(1)
def test_article_cnn(sub, batches):
    """MNIST_CNN: 1,625,866 parameters (3x the plain net's) and it learns in one epoch."""
    names, case = ("MNIST_CNN",), "compare_models(sample, num_epochs=1, model_names=('MNIST_CNN',))"
    results = compare(sub, batches, names, 1)
    check_structure(results, names, 1, case)
    check_parameters(results, "MNIST_CNN", case)
    check_learns(results, "MNIST_CNN", 60.0, case)


@pytest.mark.points(2)
def test_seeds_before_each_model(sub, batches):
    """PlainNN trains identically alone and after SmallCNN: the seed is set before *each* model."""
    shuffled, test = batches  # a fixed batch order, so that only the seeding can differ
    batches = (Batches(shuffled.images, shuffled.labels, batch_size=64, shuffle=False), test)
    alone = compare(sub, batches, ("PlainNN",), 1, seed=3)
    names = ("SmallCNN", "PlainNN")
    case = "compare_models(sample, num_epochs=1, model_names=('SmallCNN', 'PlainNN'), seed=3)"
    after = compare(sub, batches, names, 1, seed=3)
    check_structure(after, names, 1, case)
    if after["PlainNN"]["epoch_losses"] != alone["PlainNN"]["epoch_losses"]:
        fail(WHAT, f"PlainNN's losses depend on the models trained before it: alone "
             f"{alone['PlainNN']['epoch_losses']}, after SmallCNN {after['PlainNN']['epoch_losses']}", case,
             "call torch.manual_seed(seed) right before building each model")


@pytest.mark.points(1)
def test_seed_is_used(sub, batches):
    """Another seed, another initialisation, other losses."""
    first = compare(sub, batches, ("PlainNN",), 1, seed=3)
    second = compare(sub, batches, ("PlainNN",), 1, seed=4)
    if first["PlainNN"]["epoch_losses"] == second["PlainNN"]["epoch_losses"]:
        fail(WHAT, "seed=3 and seed=4 gave identical losses", "compare_models(sample, model_names=('PlainNN',))",
             "pass seed to torch.manual_seed before building each model")


@pytest.mark.points(1)
def test_criterion_is_passed_on(sub, batches):
    """A given criterion reaches train_model (heavy label smoothing keeps the loss above 1.5)."""
    case = "compare_models(sample, num_epochs=1, model_names=('PlainNN',), criterion=CrossEntropyLoss(label_smoothing=0.9))"
    results = compare(sub, batches, ("PlainNN",), 1, criterion=nn.CrossEntropyLoss(label_smoothing=0.9))
    check_structure(results, ("PlainNN",), 1, case)
    loss = results["PlainNN"]["epoch_losses"][0]
    if loss < 1.5:
        fail(WHAT, f"the epoch loss is {loss:.3f}: the criterion given was not used", case,
             "pass criterion=criterion to train_model")


@pytest.mark.points(1)
def test_lr_decay_is_applied_after_each_epoch(sub, batches):
    """lr_decay=0 leaves a learning rate of 0 after epoch 1: two epochs give the model of one epoch.

    Judged by the test accuracy of the trained model (the same weights give the same predictions),
    not by the training losses, which dropout makes differ from epoch to epoch even at rate 0.
    """
    case = "compare_models(sample, num_epochs=2, model_names=('PlainNN',), seed=5, lr_decay=0.0)"
    one = compare(sub, batches, ("PlainNN",), 1, seed=5)
    frozen = compare(sub, batches, ("PlainNN",), 2, seed=5, lr_decay=0.0)
    check_structure(frozen, ("PlainNN",), 2, case)
    after_one, after_two = one["PlainNN"]["test_accuracy"], frozen["PlainNN"]["test_accuracy"]
    if after_one != after_two:
        fail(WHAT, f"after one epoch PlainNN reaches {after_one:.2f} % (num_epochs=1); with lr_decay=0 the second "
             f"epoch runs at learning rate 0, so two epochs must leave the same model, but it reaches {after_two:.2f} %",
             case, "train one epoch at a time and multiply each optimizer.param_groups[i]['lr'] by lr_decay "
             "*after* each epoch (the first epoch runs at learning_rate)")


@pytest.mark.points(1)
def test_make_optimizer_is_passed_on(sub, batches):
    """A given make_optimizer builds the optimizer: SGD with learning rate 0 leaves PlainNN untrained."""
    case = "compare_models(sample, num_epochs=2, model_names=('PlainNN',), make_optimizer=<SGD with lr=0>)"
    results = compare(sub, batches, ("PlainNN",), 2, make_optimizer=frozen_optimizer)
    check_structure(results, ("PlainNN",), 2, case)
    last_loss, accuracy = results["PlainNN"]["epoch_losses"][-1], results["PlainNN"]["test_accuracy"]
    if last_loss < UNTRAINED_LOSS or accuracy > 30.0:
        fail(WHAT, f"epoch 2's loss is {last_loss:.3f} and the test accuracy {accuracy:.1f} %: the model learned, "
             f"so the make_optimizer given (learning rate 0) was not used (an untrained model stays near "
             f"ln 10 = 2.30 and 10 %)", case,
             "if make_optimizer is given, build the optimizer with make_optimizer(model.parameters(), learning_rate)")


@pytest.mark.points(1)
def test_prepare_model_is_applied(sub, batches):
    """A given prepare_model is applied to each new model: zeroing every weight leaves PlainNN at chance."""
    case = "compare_models(sample, num_epochs=1, model_names=('PlainNN',), prepare_model=<set every weight to 0>)"
    results = compare(sub, batches, ("PlainNN",), 1, prepare_model=zeroed_model)
    check_structure(results, ("PlainNN",), 1, case)
    accuracy = results["PlainNN"]["test_accuracy"]
    if accuracy > 30.0:
        fail(WHAT, f"test accuracy {accuracy:.1f} %: a PlainNN with every weight set to 0 cannot learn, so the "
             "prepare_model given was not applied", case,
             "right after building each model: if prepare_model is given, model = prepare_model(model)")
