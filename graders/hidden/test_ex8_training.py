"""Hidden checks for exercise 8: the reference loops as a second oracle, a short last batch, every epoch in train mode."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from cnnkit import tolerances
from cnnkit.curriculum.ex8_training import LoopSetup
from cnnkit.grading.checks import Mistake, check_float, fail
from graders.test_ex8_training import check_losses, check_weights, forwards, loss_hints, single_threaded


def reference_loop(ref, setup: LoopSetup, num_epochs: int) -> tuple[Any, list[torch.Tensor]]:
    """``ref.train_model`` on ``setup``, run exactly as the worker's ``run_training`` op runs the student's."""
    model = setup.build_model()
    kwargs: dict[str, Any] = {}
    if setup.criterion is not None:
        kwargs["criterion"] = setup.criterion_object()
    if setup.pass_device:
        kwargs["device"] = "cpu"
    with single_threaded(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(setup.dropout_seed)
        losses = ref.train_model(model, setup.optimizer_for(model), setup.loader_for(model), num_epochs, **kwargs)
    return losses, [p.detach() for p in model.parameters()]


def unweighted_means(setup: LoopSetup, num_epochs: int) -> torch.Tensor:
    """The plain average of the batch losses per epoch (the mistake when the last batch is short)."""
    model, means = setup.build_model(), []
    optimizer, criterion = setup.optimizer_for(model), setup.criterion_object()
    with single_threaded(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(setup.dropout_seed)
        for _ in range(num_epochs):
            model.train()
            batch_losses = []
            for inputs, targets in setup.batches():
                optimizer.zero_grad()
                loss = criterion(model(inputs), targets)
                loss.backward()
                optimizer.step()
                batch_losses.append(loss.item())
            means.append(sum(batch_losses) / len(batch_losses))
    return torch.tensor(means)


@pytest.mark.points(1)
def test_short_last_batch_is_weighted_by_its_size(sub, ref):
    """20 samples in batches of 8, 8 and 4: the epoch loss weights each batch loss by its batch size."""
    setup = LoopSetup(model="mlp", samples=20, batch_size=8, data_seed=3, lr=0.3)
    expected, _ = reference_loop(ref, setup, 2)
    got, _ = sub.op("run_training", setup, 2)
    check_losses(got, expected, what="train_model's returned losses", setup=setup, hints=[
        Mistake("unweighted_batch_mean", lambda: unweighted_means(setup, 2)),
        *loss_hints(setup, 2),
    ])


@pytest.mark.points(1)
def test_train_mode_at_the_start_of_every_epoch(sub):
    """The loader leaves the model in eval mode after each pass (as an evaluation between epochs would)."""
    setup = LoopSetup(model="dropout_mlp", samples=24, batch_size=8, loader="eval_after_pass")
    _, extra = sub.op("run_training", setup, 3)
    passes = forwards(extra["events"])
    per_epoch = len(setup.batches())
    in_eval = [index // per_epoch + 1 for index, (_, training, _, _) in enumerate(passes) if not training]
    if not passes:
        fail("train_model", "the model was never called", setup)
    if in_eval:
        fail("train_model", f"{len(in_eval)} of {len(passes)} forward passes ran in eval mode "
             f"(in epochs {sorted(set(in_eval))})", setup, mistake="trained_in_eval_mode")


@pytest.mark.points(0.5)
def test_matches_reference_with_momentum(sub, ref):
    """A small CNN, DataLoader, SGD with momentum 0.5, three epochs: losses and weights match the reference."""
    setup = LoopSetup(model="cnn", samples=30, batch_size=7, loader="dataloader", momentum=0.5, lr=0.05, data_seed=5)
    expected, weights = reference_loop(ref, setup, 3)
    got, extra = sub.op("run_training", setup, 3)
    check_losses(got, expected, what="train_model's returned losses", setup=setup, hints=loss_hints(setup, 3))
    check_weights(extra["weights"], weights, what="train_model", setup=setup, events=extra["events"], hints=[])


@pytest.mark.points(0.5)
def test_evaluate_matches_reference(sub, ref):
    """A small CNN, DataLoader with a short last batch, device='cpu': the reference's accuracy."""
    setup = LoopSetup(model="cnn", samples=25, batch_size=10, loader="dataloader", labels="model",
                      pass_device=True, data_seed=9)
    model = setup.build_model()
    with single_threaded():
        expected = ref.evaluate_model(model, setup.loader_for(model), device="cpu")
    got, _ = sub.op("run_evaluation", setup)
    check_float(got, expected, what="evaluate_model", case=setup, tol=tolerances.PERCENT)
