"""Training throughput on MNIST: the article's pipeline as written vs the kit's, in the same run.

The article's pipeline: ``torchvision.datasets.MNIST`` with ``ToTensor()`` +
``Normalize((0.1307,), (0.3081,))`` applied image by image, a ``DataLoader`` (batch 64,
shuffle, ``num_workers=2``), float32, its plain loop (zero_grad, forward, loss, backward, step,
``loss.item()``) with Adam (lr 0.001). The kit's: the whole set normalised once in memory
(``cnnkit.data.Batches``), channels-last, bfloat16 autocast where the CPU supports it natively,
all cores, denormals flushed (``cnnkit.compare.training_context``), running the reference
``train_model`` of exercise 8.

Other processes on the machine distort absolute numbers, so the two pipelines run
*alternately* in short bursts (``--batches`` timed batches after ``--warmup`` untimed ones),
``--repeats`` times, and the table reports the median images/s of each and their ratio.
From those it projects the time of the article's 10-epoch comparison (PlainNN + MNIST_CNN)
both ways; ``--full`` measures it for real instead (about 16 minutes for the article's side on
a quiet 2-core machine).

    python benchmarks/bench_mnist.py --data /path/to/root [--models plain,cnn,small] [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import torch
from torch import nn

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "solutions"))

import ex7_models  # noqa: E402  (the reference models)
import ex8_training  # noqa: E402  (the reference training loop, run by the kit's pipeline)

from cnnkit.compare import MODEL_KEYS, model_preparer, pick_precision, training_context  # noqa: E402
from cnnkit.data import Batches, load_split, normalize, resolve_root  # noqa: E402

TRAIN_IMAGES = 60_000


# -- the article's pipeline, as written ------------------------------------------------------------
def article_loader(root: Path, batch_size: int = 64) -> torch.utils.data.DataLoader:
    from torchvision import datasets, transforms

    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    train_dataset = datasets.MNIST(root=str(root), train=True, download=False, transform=transform)
    return torch.utils.data.DataLoader(train_dataset, batch_size=batch_size, shuffle=True, num_workers=2)


def article_test_loader(root: Path) -> torch.utils.data.DataLoader:
    from torchvision import datasets, transforms

    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    test_dataset = datasets.MNIST(root=str(root), train=False, download=False, transform=transform)
    return torch.utils.data.DataLoader(test_dataset, batch_size=1000, shuffle=False)


def article_train(model: nn.Module, loader: Iterable, optimizer: torch.optim.Optimizer, epochs: int = 1) -> None:
    """The article's training loop."""
    criterion = nn.CrossEntropyLoss()
    for _ in range(epochs):
        model.train()
        running_loss = 0.0
        for images, labels in loader:
            optimizer.zero_grad()
            outputs = model(images)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()


def article_accuracy(model: nn.Module, loader: Iterable) -> float:
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for images, labels in loader:
            correct += (model(images).argmax(1) == labels).sum().item()
            total += labels.size(0)
    return 100.0 * correct / total


# -- timing --------------------------------------------------------------------------------------
class Burst:
    """``warmup`` untimed batches, then ``timed`` batches; records images/s of the timed part."""

    def __init__(self, batches: Iterable, warmup: int, timed: int) -> None:
        self.batches, self.warmup, self.timed = batches, warmup, timed
        self.images_per_second = 0.0

    def __iter__(self):
        seen, start = 0, time.perf_counter()
        for index, (inputs, targets) in enumerate(itertools.islice(iter(self.batches), self.warmup + self.timed)):
            if index == self.warmup:
                seen, start = 0, time.perf_counter()
            yield inputs, targets
            seen += int(inputs.shape[0])
        self.images_per_second = seen / (time.perf_counter() - start)


def fresh(name: str, prepare: Callable[[nn.Module], nn.Module] | None = None) -> tuple[nn.Module, torch.optim.Optimizer]:
    torch.manual_seed(0)
    model = getattr(ex7_models, name)()
    if prepare is not None:
        model = prepare(model)
    return model, torch.optim.Adam(model.parameters(), lr=1e-3)


def measure_article(name: str, loader: Iterable, warmup: int, timed: int) -> float:
    model, optimizer = fresh(name)
    burst = Burst(loader, warmup, timed)
    article_train(model, burst, optimizer)
    return burst.images_per_second


def measure_kit(name: str, batches: Batches, warmup: int, timed: int, dtype: torch.dtype) -> float:
    device = torch.device("cpu")
    with training_context(device, dtype, None):
        model, optimizer = fresh(name, model_preparer(device, lambda _: None))
        burst = Burst(batches, warmup, timed)
        ex8_training.train_model(model, optimizer, burst, 1)
    return burst.images_per_second


def full_runs(root: Path, batches: Batches, test: Batches, dtype: torch.dtype, epochs: int) -> dict:
    """The 10-epoch comparison of PlainNN and MNIST_CNN, both pipelines, for real."""
    times: dict[str, dict[str, float]] = {"article": {}, "kit": {}}
    accuracy: dict[str, dict[str, float]] = {"article": {}, "kit": {}}
    loader, test_loader = article_loader(root), article_test_loader(root)
    device = torch.device("cpu")
    for name in ("PlainNN", "MNIST_CNN"):
        model, optimizer = fresh(name)
        start = time.perf_counter()
        article_train(model, loader, optimizer, epochs)
        accuracy["article"][name] = article_accuracy(model, test_loader)
        times["article"][name] = time.perf_counter() - start
        with training_context(device, dtype, None):
            model, optimizer = fresh(name, model_preparer(device, lambda _: None))
            start = time.perf_counter()
            ex8_training.train_model(model, optimizer, batches, epochs)
            accuracy["kit"][name] = ex8_training.evaluate_model(model, test)
            times["kit"][name] = time.perf_counter() - start
    return {"seconds": times, "test_accuracy": accuracy}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="MNIST root holding MNIST/raw/ (default: $CNNKIT_DATA)")
    parser.add_argument("--models", default="plain,cnn,small")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--batches", type=int, default=60, help="timed batches of 64 per burst")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--precision", choices=("auto", "bf16", "fp32"), default="auto")
    parser.add_argument("--full", action="store_true", help="also run both 10-epoch comparisons for real (slow)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    args = parser.parse_args(argv)

    root = resolve_root(args.data)
    load_split("train", root, download=False)  # verifies the files, clear error if absent
    dtype = pick_precision(args.precision, torch.device("cpu"))
    loader = article_loader(root)
    images, labels = load_split("train", root, download=False)
    batches = Batches(normalize(images), labels, 64, shuffle=True, seed=0, channels_last=True)

    names = [MODEL_KEYS[key.strip()] for key in args.models.split(",")]
    rates: dict[str, dict[str, list[float]]] = {name: {"article": [], "kit": []} for name in names}
    # One untimed round first: lazy imports, oneDNN primitive creation and allocator warm-up would
    # otherwise land in the first timed burst (it measured the kit ~25 % slow here).
    for name in names:
        measure_article(name, loader, args.warmup, args.warmup)
        measure_kit(name, batches, args.warmup, args.warmup, dtype)
    for repeat in range(args.repeats):
        for name in names:
            rates[name]["article"].append(measure_article(name, loader, args.warmup, args.batches))
            rates[name]["kit"].append(measure_kit(name, batches, args.warmup, args.batches, dtype))
            print(f"repeat {repeat + 1}/{args.repeats} {name:<9} article {rates[name]['article'][-1]:8.0f} img/s"
                  f"   kit {rates[name]['kit'][-1]:8.0f} img/s", flush=True)

    rows, summary = [], {}
    for name in names:
        article, kit = statistics.median(rates[name]["article"]), statistics.median(rates[name]["kit"])
        summary[name] = {"article_images_per_second": article, "kit_images_per_second": kit, "ratio": kit / article,
                         "samples": rates[name]}
        rows.append(f"{name:<10} {article:>14,.0f} {kit:>12,.0f} {kit / article:>7.2f}x")
    projected = {
        side: sum(args.epochs * TRAIN_IMAGES / summary[name][f"{side}_images_per_second"] for name in ("PlainNN", "MNIST_CNN")
                  if name in summary)
        for side in ("article", "kit")
    }
    header = f"{'model':<10} {'article img/s':>14} {'kit img/s':>12} {'ratio':>8}"
    table = "\n".join([header, "-" * len(header), *rows])
    if "PlainNN" in summary and "MNIST_CNN" in summary:
        table += (f"\n\nprojected {args.epochs}-epoch training of PlainNN + MNIST_CNN: article {projected['article'] / 60:.1f} min, "
                  f"kit {projected['kit'] / 60:.1f} min ({projected['article'] / projected['kit']:.2f}x faster)")
    settings = {
        "cpu_count": os.cpu_count(), "threads": torch.get_num_threads(), "precision": str(dtype).replace("torch.", ""),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(), "torch": torch.__version__,
        "machine": platform.machine(), "warmup": args.warmup, "batches": args.batches, "repeats": args.repeats,
        "load_average": os.getloadavg(),
    }
    table += (f"\n(median of {args.repeats} alternating bursts of {args.batches} batches of 64; {settings['cpu_count']} cores, "
              f"kit precision {settings['precision']}, load average {settings['load_average'][0]:.1f})")
    report: dict = {"settings": settings, "throughput": summary, "projected_seconds": projected}
    if args.full:
        test = Batches(*[normalize(t) if t.dtype == torch.uint8 else t for t in load_split("test", root, download=False)],
                       batch_size=1000, channels_last=True)
        report["full"] = full_runs(root, batches, test, dtype, args.epochs)
        seconds = report["full"]["seconds"]
        article_total, kit_total = sum(seconds["article"].values()), sum(seconds["kit"].values())
        table += (f"\nmeasured {args.epochs}-epoch PlainNN + MNIST_CNN: article {article_total / 60:.1f} min, "
                  f"kit {kit_total / 60:.1f} min ({article_total / kit_total:.2f}x faster); accuracies {report['full']['test_accuracy']}")
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_mnist.json").write_text(json.dumps(report, indent=2))
    (args.out / "bench_mnist.txt").write_text(table + "\n")
    print(f"wrote {args.out / 'bench_mnist.txt'} and bench_mnist.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
