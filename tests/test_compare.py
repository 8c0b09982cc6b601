"""``cnnkit compare``: end to end on the embedded sample, and the pieces around the exercise."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from cnnkit import paths
from cnnkit.cli import main
from cnnkit.errors import USAGE, CommandError
from cnnkit.mnist import compare


def test_end_to_end_on_the_sample(tmp_path, capsys):
    out = tmp_path / "results"
    code = main(["compare", "--sample", "--epochs", "1", "--models", "plain,small", "--solutions",
                 "--device", "cpu", "--no-progress", "--out", str(out)])
    assert code == 0
    report = json.loads((out / "results.json").read_text())
    assert list(report["results"]) == ["PlainNN", "SmallCNN"]
    assert report["results"]["SmallCNN"]["parameters"] == 105_866
    settings = report["settings"]
    assert settings["layers"] == "cnnkit.mnist.fast_layers" and settings["optimizer"] == "Adam (fused)"
    assert all(r["test_accuracy"] > 50 and len(r["epoch_losses"]) == 1 for r in report["results"].values())
    matrix = torch.tensor(report["confusion_matrix"])
    assert matrix.shape == (10, 10) and matrix.sum(dim=1).tolist() == [50] * 10
    assert settings["lr_decay"] == 1.0 and settings["validation_images"] == 0  # the article's recipe by default
    assert report["best_cnn"] == "SmallCNN" and "validation_accuracy" not in report["results"]["SmallCNN"]
    assert len(report["mistakes"]) == len(report["mistaken_as"]) > 0 and not (out / "validation.png").exists()
    for name in ("loss.png", "accuracy.png", "confusion.png", "filters.png", "feature_maps.png", "mistakes.png"):
        assert (out / name).read_bytes()[:4] == b"\x89PNG"
    table = capsys.readouterr().out
    assert "SmallCNN has 1/5.1 the parameters of PlainNN" in table and "Adam lr 0.001 constant" in table


def test_validation_split_is_held_out_and_reported_every_epoch(tmp_path, capsys):
    out = tmp_path / "results"
    code = main(["compare", "--sample", "--epochs", "2", "--models", "plain", "--solutions", "--device", "cpu",
                 "--no-progress", "--validation", "--lr-decay", "0.5", "--out", str(out)])
    assert code == 0
    report = json.loads((out / "results.json").read_text())
    settings = report["settings"]
    assert (settings["train_images"], settings["validation_images"], settings["test_images"]) == (1_800, 200, 500)
    accuracies = report["results"]["PlainNN"]["validation_accuracy"]
    assert len(accuracies) == 2 and all(10 < accuracy <= 100 for accuracy in accuracies)
    table = capsys.readouterr().out
    assert "validation accuracy after each epoch" in table and "x0.5 per epoch" in table
    assert "1,800 training / 200 validation / 500 test images" in table
    assert (out / "validation.png").read_bytes()[:4] == b"\x89PNG"


def test_validation_pass_leaves_training_as_it_was():
    """Validating between epochs draws no random numbers and restores the mode: the losses do not change."""
    sys_path = __import__("sys").path
    sys_path.insert(0, str(paths.SOLUTIONS_DIR))
    try:
        import ex7_models
        import ex8_training
    finally:
        sys_path.remove(str(paths.SOLUTIONS_DIR))
    from cnnkit.mnist.data import Batches, load_sample, normalize, split_validation

    images, labels = load_sample()["train"]
    train, validation = split_validation(normalize(images), labels)

    def losses(with_validation: bool) -> list[float]:
        progress = compare.ProgressBatches(Batches(*train, batch_size=64, shuffle=True), 2, enabled=False,
                                           validation=validation if with_validation else None)
        torch.manual_seed(0)
        model = ex7_models.PlainNN()
        progress.new_model(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        result = ex8_training.train_model(model, optimizer, progress, 2)
        assert len(progress.validation_accuracy["PlainNN"]) == (2 if with_validation else 0)
        return result

    assert losses(True) == losses(False)


def test_split_validation_holds_out_the_last_images():
    from cnnkit.mnist.data import split_validation, validation_count

    images, labels = torch.arange(60_000).float(), torch.arange(60_000)
    (train_images, _), (held_images, held_labels) = split_validation(images, labels)
    assert validation_count(60_000) == 5_000 and held_images.shape[0] == 5_000
    assert held_labels[0] == 55_000 and train_images.shape[0] == 55_000
    with pytest.raises(ValueError):
        split_validation(images[:10], labels[:10], count=10)


def test_view_on_channels_last_gets_a_hint(tmp_path, capsys):
    """A forward that flattens with .view() cannot take channels-last tensors: the command says what to do."""
    folder = tmp_path / "mine"
    folder.mkdir()
    for name in compare.CODE_MODULES:
        shutil.copy(paths.SOLUTIONS_DIR / f"{name}.py", folder / f"{name}.py")
    with open(folder / "ex7_models.py", "a") as handle:
        handle.write("\n\ndef _forward(self, x):\n    x = self.pool(F.relu(self.conv2(F.relu(self.conv1(x)))))\n"
                     "    return self.fc2(self.dropout(F.relu(self.fc1(x.view(-1, 64 * 14 * 14)))))\n\n\n"
                     "MNIST_CNN.forward = _forward\n")
    args = ["compare", "--sample", "--epochs", "1", "--models", "cnn", "--submission", str(folder), "--device", "cpu",
            "--no-progress", "--out", str(tmp_path / "out")]
    assert main(args) == USAGE
    assert "--no-channels-last" in capsys.readouterr().err


def test_stock_layers_keep_the_model_as_built(tmp_path):
    out = tmp_path / "results"
    code = main(["compare", "--sample", "--epochs", "1", "--models", "cnn", "--solutions", "--device", "cpu",
                 "--no-progress", "--stock-layers", "--out", str(out)])
    assert code == 0
    report = json.loads((out / "results.json").read_text())
    assert report["settings"]["layers"] == "stock"
    assert report["results"]["MNIST_CNN"]["parameters"] == 1_625_866


def test_runs_a_submission_folder(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    for name in compare.CODE_MODULES:
        shutil.copy(paths.SOLUTIONS_DIR / f"{name}.py", folder / f"{name}.py")
    module = compare.load_comparison(folder)
    assert module.__file__ == str(folder / "ex15_mnist.py")
    assert __import__("sys").modules["ex7_models"].__file__ == str(folder / "ex7_models.py")


def test_truth_notes_come_from_the_counts():
    results = {"PlainNN": {"parameters": 535_818}, "MNIST_CNN": {"parameters": 1_625_866}}
    notes = compare.truth_notes(results)
    assert "MNIST_CNN has 3.0 times the parameters of PlainNN" in notes[1]


def test_unknown_model_is_refused():
    with pytest.raises(CommandError, match="unknown model 'big'"):
        compare.parse_models("plain,big")


def test_missing_data_offline_gives_the_message(tmp_path, capsys):
    code = main(["compare", "--data", str(tmp_path), "--no-download", "--epochs", "1"])
    assert code == USAGE
    err = capsys.readouterr().err
    assert str(tmp_path / "MNIST" / "raw") in err and err.startswith("cnnkit compare: ") and "Traceback" not in err


def test_autocast_context_does_not_freeze_the_weights():
    """Autocast's weight-cast cache must be off: the context spans all of training."""
    model = torch.nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    inputs = torch.randn(8, 4)
    with compare.training_context(torch.device("cpu"), torch.bfloat16, 1):
        first = model(inputs)
        first.sum().backward()
        optimizer.step()
        assert not torch.equal(model(inputs), first)


def test_feature_maps_show_the_article_cnn_and_the_rest_the_best_cnn(tmp_path, monkeypatch):
    """feature_maps.png is MNIST_CNN's (its one pooling: 28x28 -> 14x14, not the article's 7x7) even when
    SmallCNN is the best CNN; filters.png and mistakes.png stay the best CNN's."""
    sys_path = __import__("sys").path
    sys_path.insert(0, str(paths.SOLUTIONS_DIR))
    try:
        import ex7_models
    finally:
        sys_path.remove(str(paths.SOLUTIONS_DIR))
    from cnnkit.mnist.data import load_sample, normalize

    torch.manual_seed(0)
    models = {name: getattr(ex7_models, name)() for name in ("PlainNN", "MNIST_CNN", "SmallCNN")}
    images, labels = load_sample()["test"]
    accuracy = {"PlainNN": 97.0, "MNIST_CNN": 98.9, "SmallCNN": 99.2}
    report = {
        "results": {name: {"epoch_losses": [0.1], "test_accuracy": accuracy[name],
                           "parameters": ex7_models.count_parameters(model)} for name, model in models.items()},
        "best_model": "SmallCNN", "best_cnn": "SmallCNN", "confusion_matrix": [[5] * 10] * 10,
        "mistakes": [0], "mistaken_as": [3], "_models": models, "_test": (normalize(images[:8]), labels[:8]),
    }
    drawn = {}

    def recording(plot):
        def record(model, name, *args):
            drawn[plot.__name__] = (model, name)
            return plot(model, name, *args)
        return record

    for plot in (compare.plot_filters, compare.plot_feature_maps):  # looked up where plot_results is
        monkeypatch.setattr(compare.plots, plot.__name__, recording(plot))
    written = compare.plot_results(report, tmp_path)
    assert drawn["plot_feature_maps"] == (models["MNIST_CNN"], "MNIST_CNN")
    assert drawn["plot_filters"] == (models["SmallCNN"], "SmallCNN")
    assert (tmp_path / "feature_maps.png") in written and (tmp_path / "mistakes.png") in written
    shapes = [tuple(maps.shape) for _, maps in compare.convolution_maps(models["MNIST_CNN"], report["_test"][0][0])]
    assert shapes == [(32, 28, 28), (64, 28, 28), (64, 14, 14)]
    # without the article's CNN, the feature maps are the best CNN's
    del report["_models"]["MNIST_CNN"]
    assert compare.feature_maps_model(report) == "SmallCNN"


def test_every_model_gets_the_same_shuffled_batches():
    """The order restarts with each model (as the seed does): ``--models cnn`` reproduces the full run's row."""
    from cnnkit.mnist.data import Batches

    progress = compare.ProgressBatches(Batches(torch.zeros(50, 1, 1, 1), torch.arange(50), batch_size=8,
                                               shuffle=True, seed=3), 2, enabled=False)
    orders = []
    for _ in range(2):
        progress.new_model(torch.nn.Linear(1, 1))
        orders.append([[targets.tolist() for _, targets in progress] for _epoch in range(2)])
    assert orders[0] == orders[1] and orders[0][0] != orders[0][1]


def test_own_cnn_is_a_fourth_model(tmp_path, capsys):
    """``--models own``: exercise 13's OwnSmallCNN, trained with the student's train_own_cnn, gets its own row."""
    assert compare.parse_models("small,own") == ["SmallCNN", "OwnSmallCNN"]
    out = tmp_path / "results"
    code = main(["compare", "--sample", "--epochs", "1", "--models", "own", "--solutions", "--device", "cpu",
                 "--no-progress", "--out", str(out)])
    assert code == 0
    report = json.loads((out / "results.json").read_text())
    own = report["results"]["OwnSmallCNN"]
    assert list(report["results"]) == ["OwnSmallCNN"] and own["parameters"] == 105_866
    assert own["test_accuracy"] > 50 and len(own["epoch_losses"]) == 1
    assert "every layer of this network is yours" in capsys.readouterr().err


# -- exercise 14's opt-in improvements and the curves the diagnosis reads ------------------------------
def test_augment_and_early_stopping_on_the_sample(tmp_path, capsys):
    """--early-stopping turns --validation on; the tested weights are the best epoch's; curves.png is written."""
    out = tmp_path / "results"
    code = main(["compare", "--sample", "--epochs", "4", "--models", "plain", "--solutions", "--device", "cpu",
                 "--no-progress", "--augment", "--early-stopping", "--patience", "1", "--out", str(out)])
    assert code == 0
    report = json.loads((out / "results.json").read_text())
    settings, result = report["settings"], report["results"]["PlainNN"]
    assert (settings["augment_max_shift"], settings["early_stopping_patience"], settings["validation_images"]) == (2, 1, 200)
    trained, best = result["epochs_trained"], result["best_epoch"]
    assert trained == 4 or trained == best + 1  # ran out of epochs, or stopped one epoch (patience) after the best
    curves = [result[key] for key in ("epoch_losses", "validation_loss", "train_accuracy", "validation_accuracy")]
    assert [len(curve) for curve in curves] == [trained] * 4
    losses = result["validation_loss"]
    assert losses[best - 1] == min(losses) and losses.index(min(losses)) == best - 1
    assert result["diagnosis"] in ("overfitting", "underfitting", "lr_too_high", "lr_too_low", "healthy")
    table = capsys.readouterr()
    assert "images shifted up to 2 px, early stopping (patience 1)" in table.out
    assert f"PlainNN tested with epoch {best}'s weights" in table.out and "diagnosis (exercise 14" in table.out
    assert "--validation is on" in table.err
    assert (out / "curves.png").read_bytes()[:4] == b"\x89PNG"


def _sample_progress(validate: bool = True, **kwargs) -> compare.ProgressBatches:
    from cnnkit.mnist.data import Batches, load_sample, normalize, split_validation

    images, labels = load_sample()["train"]
    (train_images, train_labels), validation = split_validation(normalize(images[:600]), labels[:600])
    return compare.ProgressBatches(Batches(train_images, train_labels, batch_size=100), 4, enabled=False,
                                   validation=validation if validate else None, **kwargs)


class _StopAtTwo:
    """An early stopper that keeps epoch 1's weights and says stop at epoch 2."""

    def __init__(self) -> None:
        self.epoch, self.best_epoch, self.best_state = 0, 0, None

    def step(self, metric, model):
        self.epoch += 1
        if self.epoch == 1:
            self.best_epoch = 1
            self.best_state = {name: value.detach().clone() for name, value in model.state_dict().items()}
        return self.epoch == 2


def test_early_stopping_leaves_the_epochs_left_empty_and_brings_back_the_best_weights():
    progress = _sample_progress(make_stopper=_StopAtTwo)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))
    progress.new_model(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    batches_per_epoch, weights_after_first = [], None
    for epoch in range(4):
        count = 0
        for images, labels in progress:
            optimizer.zero_grad()
            progress.criterion(model(images), labels).backward()
            optimizer.step()
            count += 1
        batches_per_epoch.append(count)
        if epoch == 0:
            weights_after_first = model[1].weight.detach().clone()
    assert batches_per_epoch == [6, 6, 0, 0]
    assert torch.equal(model[1].weight, weights_after_first)  # epoch 1's weights are back
    assert progress.epochs_trained["Sequential"] == 2 and progress.best_epoch["Sequential"] == 1
    assert len(progress.train_accuracy["Sequential"]) == len(progress.validation_loss["Sequential"]) == 2


def test_augment_shifts_every_batch_and_every_model_sees_the_same_shifts():
    shifted = []

    def augment(images, generator):
        offset = int(torch.randint(1, 3, (1,), generator=generator))
        shifted.append(offset)
        return torch.roll(images, offset, dims=-1)

    progress = _sample_progress(False, augment=augment, seed=5)
    plain = _sample_progress(False)
    for model in (torch.nn.Linear(1, 1), torch.nn.Linear(1, 1)):
        progress.new_model(model)
        plain.new_model(model)
        first = [images for images, _ in progress]
        original = [images for images, _ in plain]
        assert all(not torch.equal(a, b) for a, b in zip(first, original))
    assert shifted[:6] == shifted[6:] and len(shifted) == 12
