"""Record ``datasets/diagnosis_curves.json``: the curves of real short runs that exercise 14's ``diagnose`` is graded on.

Each run trains one of the article's models (``benchmarks/article_code.py``: its ``PlainNN`` and
``MNIST_CNN``, typed in from the article) on the embedded MNIST sample, with one thing changed to
provoke one of the article's "Troubleshooting" symptoms: dropout removed on 300 images
(overfitting), a learning rate of 1.0 or 1e-6, too much dropout or weight decay (underfitting), or
nothing (the article's recipe: healthy). Training uses the first 1,800 sample digits, validation the
last 200 (``cnnkit.mnist.data.split_validation``; the sample's test digits are never used). Per
epoch: the mean training loss and the running training accuracy (train mode, over the epoch's
batches, as a training loop sees them), then the validation loss and accuracy (eval mode).

Every run is labelled with the problem it was made to show, and the reference ``diagnose``
(``solutions/ex14_troubleshooting.py``) must name that problem: the script stops with an error when
it does not (then the rules or the run are wrong, and the file is not written). Seeded (0), on one
thread; about a minute and a half on a laptop core, most of it ``MNIST_CNN``.

    python scripts/record_diagnosis_curves.py [--out datasets/diagnosis_curves.json]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from cnnkit import paths
from cnnkit.mnist.data import Batches, load_sample, normalize, split_validation

OUT = paths.DATASETS_DIR / "diagnosis_curves.json"


@dataclass(frozen=True)
class Run:
    """One recorded run: the article's model and recipe with one change, and the problem it shows."""

    name: str
    label: str  # the problem the run was made to show (what diagnose must answer)
    model: str  # "PlainNN" or "MNIST_CNN" (the article's)
    change: str  # what differs from the article's recipe, in words
    epochs: int
    optimizer: str = "adam"  # "adam" (the article's) or "sgd"
    lr: float = 1e-3
    dropout: float | None = None  # None: the article's p
    weight_decay: float = 0.0
    train_images: int | None = None  # None: all 1,800


RUNS: tuple[Run, ...] = (
    Run("healthy_plain", "healthy", "PlainNN", "none: the article's recipe", 10),
    Run("healthy_cnn", "healthy", "MNIST_CNN", "none: the article's recipe", 3),
    Run("overfitting_plain", "overfitting", "PlainNN", "dropout removed, 300 training images", 15, dropout=0.0,
        train_images=300),
    Run("overfitting_cnn", "overfitting", "MNIST_CNN", "dropout removed, 300 training images", 8, dropout=0.0,
        train_images=300),
    Run("lr_too_high_adam", "lr_too_high", "PlainNN", "Adam at learning rate 1.0", 6, lr=1.0),
    Run("lr_too_high_cnn", "lr_too_high", "MNIST_CNN", "Adam at learning rate 1.0", 3, lr=1.0),
    Run("lr_too_high_sgd", "lr_too_high", "PlainNN", "plain SGD at learning rate 1.0", 4, optimizer="sgd", lr=1.0),
    Run("lr_too_low_plain", "lr_too_low", "PlainNN", "Adam at learning rate 1e-6", 6, lr=1e-6),
    Run("lr_too_low_cnn", "lr_too_low", "MNIST_CNN", "Adam at learning rate 1e-6", 3, lr=1e-6),
    Run("underfitting_dropout", "underfitting", "PlainNN", "dropout 0.9 instead of 0.5", 6, dropout=0.9),
    Run("underfitting_weight_decay", "underfitting", "PlainNN", "Adam with weight decay 0.1", 6, weight_decay=0.1),
)


def article_models() -> dict[str, type[nn.Module]]:
    sys.path.insert(0, str(paths.ROOT / "benchmarks"))
    import article_code

    return {"PlainNN": article_code.PlainNN, "MNIST_CNN": article_code.MNIST_CNN}


def record(run: Run, models: dict[str, type[nn.Module]], seed: int = 0) -> dict[str, list[float]]:
    """Train ``run`` and return its four curves (one value per epoch)."""
    sample = load_sample()
    (train_images, train_labels), (val_images, val_labels) = split_validation(normalize(sample["train"][0]),
                                                                              sample["train"][1])
    if run.train_images is not None:
        train_images, train_labels = train_images[: run.train_images], train_labels[: run.train_images]
    torch.manual_seed(seed)
    model = models[run.model]()
    if run.dropout is not None:
        model.dropout.p = run.dropout
    if run.optimizer == "adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=run.lr, weight_decay=run.weight_decay)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=run.lr, weight_decay=run.weight_decay)
    batches = Batches(train_images, train_labels, batch_size=64, shuffle=True, seed=seed)
    curves: dict[str, list[float]] = {"train_losses": [], "val_losses": [], "train_acc": [], "val_acc": []}
    for _ in range(run.epochs):
        model.train()
        loss_sum, correct, seen = 0.0, 0, 0
        for images, labels in batches:
            optimizer.zero_grad()
            logits = model(images)
            loss = F.cross_entropy(logits, labels)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * labels.shape[0]
            correct += int((logits.argmax(dim=1) == labels).sum())
            seen += labels.shape[0]
        model.eval()
        with torch.no_grad():
            logits = model(val_images)
            val_loss = F.cross_entropy(logits, val_labels).item()
            val_correct = int((logits.argmax(dim=1) == val_labels).sum())
        curves["train_losses"].append(_rounded(loss_sum / seen))
        curves["train_acc"].append(round(100.0 * correct / seen, 2))
        curves["val_losses"].append(_rounded(val_loss))
        curves["val_acc"].append(round(100.0 * val_correct / val_labels.shape[0], 2))
    return curves


def _rounded(value: float) -> float:
    """Six significant digits (NaN and inf as they are)."""
    return float(f"{value:.6g}") if math.isfinite(value) else value


def reference_diagnose():  # noqa: ANN201 - the reference module's function
    sys.path.insert(0, str(paths.SOLUTIONS_DIR))
    from ex14_troubleshooting import diagnose

    return diagnose


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    models, diagnose = article_models(), reference_diagnose()
    recorded, disagreements = [], []
    for run in RUNS:
        started = time.perf_counter()
        curves = record(run, models)
        said = diagnose(**curves)
        print(f"{run.name:<26} {time.perf_counter() - started:5.1f} s  made to show {run.label:<13} "
              f"diagnose: {said}", file=sys.stderr)
        if said != run.label:
            disagreements.append(run.name)
        recorded.append({**asdict(run), **curves})
    if disagreements:
        print(f"the reference diagnose disagrees with the runs {disagreements}: not written", file=sys.stderr)
        return 1
    document = {
        "about": "Curves of short real runs of the article's models on the embedded MNIST sample (1,800 training, "
                 "200 validation digits), each made to show one problem; exercise 14's diagnose is graded on them. "
                 "train_acc: running accuracy over the epoch's batches in train mode; the others after the epoch, "
                 "in eval mode. Regenerate: python scripts/record_diagnosis_curves.py",
        "torch": torch.__version__,
        "runs": recorded,
    }
    args.out.write_text(json.dumps(document, indent=1) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
