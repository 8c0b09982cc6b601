"""``cnnkit compare``: end to end on the embedded sample, and the pieces around the exercise."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from cnnkit import compare, paths
from cnnkit.cli import main


def test_end_to_end_on_the_sample(tmp_path, capsys):
    out = tmp_path / "results"
    code = main(["compare", "--sample", "--epochs", "1", "--models", "plain,small", "--solutions",
                 "--device", "cpu", "--no-progress", "--out", str(out)])
    assert code == 0
    report = json.loads((out / "results.json").read_text())
    assert list(report["results"]) == ["PlainNN", "SmallCNN"]
    assert report["results"]["SmallCNN"]["parameters"] == 105_866
    settings = report["settings"]
    assert settings["layers"] == "cnnkit.fast_layers" and settings["optimizer"] == "Adam (fused)"
    assert all(r["test_accuracy"] > 50 and len(r["epoch_losses"]) == 1 for r in report["results"].values())
    matrix = torch.tensor(report["confusion_matrix"])
    assert matrix.shape == (10, 10) and matrix.sum(dim=1).tolist() == [50] * 10
    for name in ("loss.png", "accuracy.png", "confusion.png"):
        assert (out / name).read_bytes()[:4] == b"\x89PNG"
    table = capsys.readouterr().out
    assert "SmallCNN has 1/5.1 the parameters of PlainNN" in table


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
    assert module.__file__ == str(folder / "ex9_mnist.py")
    assert __import__("sys").modules["ex7_models"].__file__ == str(folder / "ex7_models.py")


def test_truth_notes_come_from_the_counts():
    results = {"PlainNN": {"parameters": 535_818}, "MNIST_CNN": {"parameters": 1_625_866}}
    notes = compare.truth_notes(results)
    assert "MNIST_CNN has 3.0 times the parameters of PlainNN" in notes[1]


def test_unknown_model_is_refused():
    with pytest.raises(SystemExit, match="unknown model 'big'"):
        compare.parse_models("plain,big")


def test_missing_data_offline_gives_the_message(tmp_path, capsys):
    code = main(["compare", "--data", str(tmp_path), "--no-download", "--epochs", "1"])
    assert code == 1
    assert str(tmp_path / "MNIST" / "raw") in capsys.readouterr().err


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
