"""``benchmarks/bench_mnist.py`` runs end to end (tiny settings) on an MNIST root made from the sample."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
from helpers import write_idx

from cnnkit import paths
from cnnkit.mnist.data import SPLITS, load_sample

BENCH = paths.ROOT / "benchmarks" / "bench_mnist.py"


@pytest.fixture(scope="module")
def sample_root(tmp_path_factory) -> Path:
    """torchvision's layout (``MNIST/raw``), full-size files made by repeating the embedded sample."""
    root = tmp_path_factory.mktemp("mnist")
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for split, (images, labels) in load_sample().items():
        files = SPLITS[split]
        copies = files.count // len(labels)
        write_idx(raw / files.images, images.repeat(copies, 1, 1).numpy(), 2051)
        write_idx(raw / files.labels, labels.repeat(copies).numpy(), 2049)
    return root


def load_bench(monkeypatch):
    """Import the script as a module; its spawned workers find it on the inherited ``sys.path``."""
    monkeypatch.syspath_prepend(str(BENCH.parent))
    return importlib.import_module("bench_mnist")


def test_benchmark_runs_every_pipeline_and_reports_ratios(sample_root, tmp_path, monkeypatch):
    bench = load_bench(monkeypatch)
    out = tmp_path / "out"
    code = bench.main(["--data", str(sample_root), "--models", "plain", "--warmup", "1", "--batches", "3",
                       "--repeats", "1", "--ablation", "--full", "--epochs", "1", "--train-images", "640",
                       "--out", str(out)])
    assert code == 0
    report = json.loads((out / "bench_mnist.json").read_text())
    names = [pipeline["name"] for pipeline in report["pipelines"]]
    assert names[:2] == ["article", "kit"] and len(names) == 2 + len(bench.ABLATION)
    assert all(report["throughput"]["PlainNN"][name]["median"] > 0 for name in names)
    for side in ("article", "kit"):
        assert list(report["full"][side]) == ["PlainNN", "MNIST_CNN"]  # the article's comparison, always
        for model in ("PlainNN", "MNIST_CNN"):
            run = report["full"][side][model]
            assert run["seconds"] > 0 and 10.0 < run["test_accuracy"] <= 100.0
            assert run["images"] == 640 and len(run["epoch_seconds"]) == 1
    table = (out / "bench_mnist.txt").read_text()
    assert "kit - fast layers" in table and "( 1.00x)" in table
    assert "whole epochs (1 per model" in table and "measured 1-epoch training of PlainNN + MNIST_CNN" in table
    assert "first 640 training images only" in table


def test_article_pipeline_is_the_articles_code(monkeypatch):
    """The benchmark's article side trains the article's own classes (typed in from its text), not the kit's."""
    monkeypatch.syspath_prepend(str(BENCH.parent))
    article_code = importlib.import_module("article_code")
    assert article_code.MNIST_CNN.__module__ == "article_code"
    assert article_code.MNIST_CNN().dropout.p == 0.25 and article_code.PlainNN().dropout.p == 0.5
    assert article_code.criterion.__class__.__name__ == "CrossEntropyLoss"


def test_missing_data_gives_the_message(tmp_path, monkeypatch):
    bench = load_bench(monkeypatch)
    with pytest.raises(Exception, match="MNIST"):
        bench.main(["--data", str(tmp_path), "--out", str(tmp_path / "out")])

