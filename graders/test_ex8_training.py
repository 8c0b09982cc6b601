"""Public checks for exercise 8: ``train_model`` and ``evaluate_model``.

Your loops run in the sandbox worker on a small deterministic problem (``LoopSetup`` in
``cnnkit.sandbox.ops``: seeded data, a seeded kit model, SGD). The kit's model and optimizer
log every forward pass (with ``model.training`` and whether autograd was on), every
``zero_grad`` and every ``step``. The grader rebuilds the same problem here, runs the plain
PyTorch loop written below, and compares the losses and the final weights.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import pytest
import torch

from cnnkit import tolerances
from cnnkit.curriculum.ex8_training import LoopSetup
from cnnkit.grading.checks import CheckFailure, Mistake, check_tensor, fail

Weights = list[torch.Tensor]


# -- the trusted loops ---------------------------------------------------------------------------
@contextmanager
def single_threaded() -> Iterator[None]:
    """Tiny models: one thread is fastest (and matches the worker's arithmetic order)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def reference_training(setup: LoopSetup, num_epochs: int, *,
                       zero_grad: bool = True) -> tuple[list[float], list[float], Weights]:
    """The documented loop. Returns (per-epoch sample-weighted mean losses, last batch loss of each epoch, weights)."""
    model = setup.build_model()
    optimizer = setup.optimizer_for(model)
    criterion = setup.criterion_object()
    means, lasts = [], []
    with single_threaded(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(setup.dropout_seed)
        for _ in range(num_epochs):
            model.train()
            total, seen = 0.0, 0
            for inputs, targets in setup.batches():
                if zero_grad:
                    optimizer.zero_grad()
                loss = criterion(model(inputs), targets)
                loss.backward()
                optimizer.step()
                total += loss.item() * len(inputs)
                seen += len(inputs)
            means.append(total / seen)
            lasts.append(loss.item())
    return means, lasts, [p.detach() for p in model.parameters()]


def reference_accuracy(setup: LoopSetup, train_mode: bool = False) -> float:
    """Percent of argmax predictions equal to the labels, eval mode (or seeded train mode), no grad."""
    model = setup.build_model().train(train_mode)
    correct = 0
    with single_threaded(), torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(setup.dropout_seed)
        for inputs, targets in setup.batches():
            correct += int((model(inputs).argmax(dim=1) == targets).sum())
    return 100.0 * correct / setup.samples


# -- reading the spies' log ----------------------------------------------------------------------
def forwards(events: list) -> list[tuple]:
    return [event for event in events if event[0] == "forward"]


def loop_summary(events: list) -> str:
    counts = Counter(event[0] for event in events)
    zero_grads = counts["optimizer.zero_grad"] + counts["model.zero_grad"]
    return f"your loop ran {counts['forward']} forward passes, {counts['optimizer.step']} optimizer.step() and {zero_grads} zero_grad() calls"


def check_losses(got: object, expected: list[float], *, what: str, setup: LoopSetup, hints: list[Mistake]) -> None:
    """A list of len(expected) Python floats, close to ``expected`` (tolerances.LOSS)."""
    if not isinstance(got, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in got):
        kinds = sorted({type(v).__name__ for v in got}) if isinstance(got, (list, tuple)) else []
        fail(what, f"returned {type(got).__name__}{' of ' + ', '.join(kinds) if kinds else ''}; "
             "expected a list of Python floats, one per epoch", setup,
             mistake="losses_as_tensors" if "Tensor" in kinds else "")
    check_tensor(torch.tensor(got, dtype=torch.float64), torch.tensor(expected, dtype=torch.float64), what=what,
                 case=setup, tol=tolerances.LOSS, hints=hints)


def check_weights(got: Weights, expected: Weights, *, what: str, setup: LoopSetup, events: list,
                  hints: list[Mistake]) -> None:
    """Every parameter after training equals the trusted loop's (tolerances.MODEL32).

    ``hints``: known mistakes whose wrong answer is the whole list of weights after training. A
    mismatch also says what the loop did (its forward, step and zero_grad counts).
    """
    for index, (mine, theirs) in enumerate(zip(got, expected)):
        per_parameter = [Mistake(mistake.id, lambda mistake=mistake, index=index: mistake.wrong_answer()[index])
                         for mistake in hints]
        try:
            check_tensor(mine, theirs, what=f"{what}, parameter {index} after training", case=setup,
                         tol=tolerances.MODEL32, hints=per_parameter)
        except CheckFailure as failure:  # the loop's counts are facts of this run: part of the problem, not the hint
            raise CheckFailure(failure.what, f"{failure.problem} ({loop_summary(events)})", failure.case,
                               check=failure.check, mistake=failure.mistake) from None


# -- train_model ---------------------------------------------------------------------------------
BASIC = LoopSetup(model="mlp", samples=48, batch_size=8, lr=0.1, momentum=0.9)


def loss_hints(setup: LoopSetup, num_epochs: int) -> list[Mistake]:
    """Known wrong loss lists for ``setup``, computed only when a check fails.

    Their hints, and those of every mistake below: ``HINTS`` in ``cnnkit/curriculum/ex8_training.py``.
    """
    return [
        Mistake("last_batch_loss", lambda: torch.tensor(reference_training(setup, num_epochs)[1])),
        Mistake("no_zero_grad", lambda: torch.tensor(reference_training(setup, num_epochs, zero_grad=False)[0])),
        Mistake("loss_sum_not_mean", lambda: torch.tensor(reference_training(setup, num_epochs)[0]) * setup.samples),
    ]


@pytest.mark.points(2)
def test_losses_match_plain_loop(sub):
    """Three epochs, no criterion given (so cross-entropy): your per-epoch mean losses match the plain loop's."""
    expected, _, _ = reference_training(BASIC, 3)
    got, _ = sub.op("run_training", BASIC, 3)
    check_losses(got, expected, what="train_model's returned losses", setup=BASIC, hints=loss_hints(BASIC, 3))


@pytest.mark.points(2)
def test_weights_match_plain_loop(sub):
    """After three epochs your model's weights equal those of the plain loop (zero_grad, forward, loss, backward, step)."""
    _, _, expected = reference_training(BASIC, 3)
    _, extra = sub.op("run_training", BASIC, 3)
    check_weights(extra["weights"], expected, what="train_model", setup=BASIC, events=extra["events"],
                  hints=[Mistake("no_zero_grad",
                                 functools.cache(lambda: reference_training(BASIC, 3, zero_grad=False)[2]))])


@pytest.mark.points(1)
def test_loss_falls(sub):
    """Five epochs on a learnable problem: the last epoch's loss is below the first's."""
    setup = LoopSetup(model="mlp", samples=64, batch_size=16, lr=0.2, data_seed=7)
    got, _ = sub.op("run_training", setup, 5)
    check_losses(got, reference_training(setup, 5)[0], what="train_model's returned losses", setup=setup,
                 hints=loss_hints(setup, 5))
    if not got[-1] < got[0]:
        fail("train_model", f"the loss did not fall: epoch losses {[round(v, 4) for v in got]}", setup)


@pytest.mark.points(1.5)
def test_given_criterion_device_and_dataloader(sub):
    """A small CNN fed by a DataLoader, criterion=CrossEntropyLoss(label_smoothing=0.2), device='cpu'."""
    setup = LoopSetup(model="cnn", samples=24, batch_size=6, loader="dataloader", criterion="smoothed",
                      pass_device=True, lr=0.05)
    expected, _, weights = reference_training(setup, 2)
    plain = replace(setup, criterion=None)
    got, extra = sub.op("run_training", setup, 2)
    check_losses(got, expected, what="train_model's returned losses", setup=setup, hints=[
        Mistake("criterion_ignored", lambda: torch.tensor(reference_training(plain, 2)[0])),
        *loss_hints(setup, 2),
    ])
    check_weights(extra["weights"], weights, what="train_model", setup=setup, events=extra["events"], hints=[])


@pytest.mark.points(1.5)
def test_trains_in_train_mode(sub):
    """A dropout model handed over in eval mode (as after evaluate_model): every training forward runs in train mode."""
    setup = LoopSetup(model="dropout_mlp", samples=32, batch_size=8, start_mode="eval")
    got, extra = sub.op("run_training", setup, 2)
    passes = forwards(extra["events"])
    in_eval = sum(not training for _, training, _, _ in passes)
    if not passes:
        fail("train_model", "the model was never called", setup)
    if in_eval:
        fail("train_model", f"{in_eval} of {len(passes)} forward passes ran with model.training == False, "
             "so dropout was off while training", setup, mistake="trained_in_eval_mode")
    expected, _, weights = reference_training(setup, 2)
    check_losses(got, expected, what="train_model's returned losses", setup=setup, hints=loss_hints(setup, 2))
    check_weights(extra["weights"], weights, what="train_model", setup=setup, events=extra["events"], hints=[])


# -- evaluate_model ------------------------------------------------------------------------------
EVAL = LoopSetup(model="dropout_mlp", samples=48, batch_size=16, labels="model")


@pytest.mark.points(2)
def test_accuracy_in_percent(sub):
    """A dropout model on 48 samples of which 32 match its eval-mode predictions: 66.67 (percent, a float)."""
    expected = reference_accuracy(EVAL)
    got, _ = sub.op("run_evaluation", EVAL)
    if isinstance(got, bool) or not isinstance(got, float):
        fail("evaluate_model", f"returned {type(got).__name__} {got!r}; expected a Python float (percent)", EVAL,
             mistake="accuracy_not_float")
    if close(got, expected / 100):
        fail("evaluate_model", f"got {got:.6g}, expected {expected:.6g}", EVAL, mistake="accuracy_as_fraction")
    if not 0.0 <= got <= 100.0:
        fail("evaluate_model", f"got {got:.6g}, which is not a percentage in [0, 100]", EVAL)
    if not close(got, expected):
        train_mode = reference_accuracy(EVAL, train_mode=True)
        fail("evaluate_model", f"got {got!r}, expected {expected!r} ({tolerances.PERCENT.describe()})", EVAL,
             mistake="evaluated_in_train_mode" if close(got, train_mode) else "accuracy_counting")


def close(got: float, expected: float) -> bool:
    """Equal as accuracies in percent (``tolerances.PERCENT``: float32 counting is fine)."""
    return abs(got - expected) <= tolerances.PERCENT.atol + tolerances.PERCENT.rtol * abs(expected)


@pytest.mark.points(1)
def test_eval_mode_without_gradients(sub):
    """Every forward pass of evaluate_model runs with model.training == False and autograd off; weights untouched."""
    _, extra = sub.op("run_evaluation", EVAL)
    passes = forwards(extra["events"])
    if not passes:
        fail("evaluate_model", "the model was never called", EVAL)
    in_train = sum(training for _, training, _, _ in passes)
    with_grad = sum(grad for _, _, grad, _ in passes)
    if in_train:
        fail("evaluate_model", f"{in_train} of {len(passes)} forward passes ran in train mode (dropout on)", EVAL,
             mistake="evaluated_in_train_mode")
    if with_grad:
        fail("evaluate_model", f"{with_grad} of {len(passes)} forward passes recorded a graph for autograd", EVAL,
             mistake="evaluated_with_graph")
    if extra["weights_changed"] or extra["grads_left"]:
        fail("evaluate_model", f"evaluation changed parameters {extra['weights_changed']} or left gradients on "
             f"{extra['grads_left']}", EVAL, mistake="evaluation_changed_model")
