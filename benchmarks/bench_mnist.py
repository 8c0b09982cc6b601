"""Training throughput on MNIST: the article's pipeline as written vs the kit's, in the same run.

The article's pipeline is the article's own code (``benchmarks/article_code.py``, typed in from
the article): its ``PlainNN`` and ``MNIST_CNN``, ``torchvision.datasets.MNIST`` with
``ToTensor()`` + ``Normalize((0.1307,), (0.3081,))`` applied image by image, its ``DataLoader``s
(batch 64, shuffle, ``num_workers=2``), float32, its ``train_model`` loop (zero_grad, forward,
``CrossEntropyLoss``, backward, step, ``loss.item()``, a progress line every 100 batches) with
Adam (lr 0.001), and its ``evaluate_model``. ``SmallCNN`` is not in the article: its "article"
row trains the kit's ``SmallCNN`` in the article's pipeline. The kit's (what ``cnnkit compare``
does on the CPU):

* in memory: the whole set normalised once (``cnnkit.mnist.data.Batches``);
* channels-last activations and weights;
* bfloat16 autocast where the CPU computes in bfloat16 natively, all cores, denormals flushed
  (``cnnkit.mnist.compare.training_context``);
* ``cnnkit.mnist.fast_layers``: the same max-pool and dropout, on faster kernels;
* Adam's fused kernel (``cnnkit.mnist.compare.fastest_adam``);
* glibc keeps freed memory (``cnnkit.mnist.compare.keep_freed_memory``);

running the reference ``train_model`` of exercise 8. ``--ablation`` adds one kit pipeline per
lever with that lever off (and one with only the in-memory batches), to show what each is worth.

Every pipeline runs in its own worker process (the allocator setting is process-wide and cannot
be undone), and the workers take turns: short bursts (``--batches`` timed batches after
``--warmup`` untimed ones), ``--repeats`` rounds, after one untimed round. The table reports
each pipeline's median images/s and its ratio to the article's; other processes on the machine
distort absolute numbers, much less the ratios. From those it projects the article's 10-epoch
comparison (PlainNN + MNIST_CNN) both ways.

Bursts flatter the kit a little (no DataLoader start per epoch, no evaluation, a warm process),
so ``--full`` measures what a user lives: whole epochs (``--epochs``, default 10) of every model
in ``--models`` (and always PlainNN and MNIST_CNN, the article's comparison), the article's side
with its own code, the kit's side running the reference ``compare_models`` exactly as ``cnnkit
compare`` does (its progress wrapper, criterion, hooks and the article's constant learning
rate), each followed by its test accuracy. It reports images/s over whole epochs per model and
the total time of the article's comparison both ways. ``--full --epochs 1`` is the quick
whole-epoch check; the full 10 epochs take about 25 minutes on a quiet 2-core machine, most of
it the article's side.

    python benchmarks/bench_mnist.py --data /path/to/root [--models plain,cnn,small] [--ablation] [--full] [--out DIR]
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import multiprocessing
import os
import platform
import statistics
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

REPO = Path(__file__).resolve().parent.parent
TRAIN_IMAGES = 60_000
BATCH_SIZE = 64


@dataclass(frozen=True)
class Pipeline:
    """One way to train: the article's as written, or the kit's with some levers on."""

    name: str
    article: bool = False  # the article's DataLoader, float32 and stock everything
    bf16: bool = True  # bfloat16 autocast (where the CPU has native bfloat16)
    channels_last: bool = True
    fast_layers: bool = True
    fused_adam: bool = True
    keep_freed_memory: bool = True


ARTICLE = Pipeline("article", article=True)
KIT = Pipeline("kit")
ABLATION = (
    Pipeline("in-memory only", bf16=False, channels_last=False, fast_layers=False, fused_adam=False,
             keep_freed_memory=False),
    replace(KIT, name="kit - bf16", bf16=False),
    replace(KIT, name="kit - channels-last", channels_last=False),
    replace(KIT, name="kit - fast layers", fast_layers=False),
    replace(KIT, name="kit - fused Adam", fused_adam=False),
    replace(KIT, name="kit - freed memory", keep_freed_memory=False),
)


# -- the article's pipeline, as written ------------------------------------------------------------
def article_loaders(root: Path, limit: int | None = None) -> tuple[Any, Any]:
    """The article's train and test ``DataLoader``s (``article_code.make_loaders``).

    ``limit`` (``--train-images``, quick checks only) keeps the first ``limit`` training images,
    with the article's loader settings.
    """
    import article_code

    trainset, trainloader, testloader = article_code.make_loaders(str(root))
    if limit is not None:
        subset = torch.utils.data.Subset(trainset, range(min(limit, len(trainset))))
        trainloader = torch.utils.data.DataLoader(subset, batch_size=BATCH_SIZE, shuffle=True, num_workers=2)
    return trainloader, testloader


# -- timing --------------------------------------------------------------------------------------
class TimedPasses:
    """Batches that record the wall time of every complete pass over them (one pass = one epoch)."""

    def __init__(self, batches: Any) -> None:
        self.batches = batches
        self.seconds: list[float] = []

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self) -> Iterator:
        start = time.perf_counter()
        yield from self.batches
        self.seconds.append(time.perf_counter() - start)


class Burst:
    """``warmup`` untimed batches, then ``timed`` batches; records images/s of the timed part."""

    def __init__(self, batches: Iterable, warmup: int, timed: int) -> None:
        self.batches, self.warmup, self.timed = batches, warmup, timed
        self.images_per_second = 0.0

    def __iter__(self) -> Iterator:
        seen, start = 0, time.perf_counter()
        for index, (inputs, targets) in enumerate(itertools.islice(iter(self.batches), self.warmup + self.timed)):
            if index == self.warmup:
                seen, start = 0, time.perf_counter()
            yield inputs, targets
            seen += int(inputs.shape[0])
        self.images_per_second = seen / (time.perf_counter() - start)


class Worker:
    """Runs one pipeline in this process: bursts of training, or a full comparison."""

    def __init__(self, pipeline: Pipeline, root: Path, limit: int | None = None) -> None:
        sys.path.insert(0, str(REPO / "solutions"))
        sys.path.insert(0, str(REPO / "benchmarks"))
        import article_code
        import ex7_models
        import ex8_training
        import ex15_mnist

        from cnnkit.mnist import compare
        from cnnkit.mnist.data import Batches, load_split, normalize

        self.pipeline, self.root = pipeline, root
        self.article = article_code
        self.models, self.training, self.comparison, self.compare = ex7_models, ex8_training, ex15_mnist, compare
        self.device = torch.device("cpu")
        self.dtype = torch.float32
        # the same hooks cnnkit compare passes to compare_models, with this pipeline's levers
        self.prepare = compare.model_preparer(self.device, lambda _: None, fast_layers=pipeline.fast_layers,
                                              channels_last=pipeline.channels_last)
        self.make_optimizer = compare.fastest_adam(self.device) if pipeline.fused_adam else torch.optim.Adam
        if pipeline.article:
            self.loader, self.test_loader = article_loaders(root, limit=limit)
            self.log = open(os.devnull, "w")  # noqa: SIM115 - the article's progress lines, for the process's life
            return
        if pipeline.keep_freed_memory:
            compare.keep_freed_memory()
        if pipeline.bf16:
            self.dtype = compare.pick_precision("auto", self.device)
        images, labels = load_split("train", root, download=False)
        images, labels = images[:limit], labels[:limit]
        self.batches = Batches(normalize(images), labels, BATCH_SIZE, shuffle=True, seed=0,
                               channels_last=pipeline.channels_last)
        test_images, test_labels = load_split("test", root, download=False)
        self.test = Batches(normalize(test_images), test_labels, 1000, channels_last=pipeline.channels_last)

    def fresh(self, name: str) -> tuple[nn.Module, torch.optim.Optimizer]:
        """A new model (seed 0) and its optimizer: the article's own classes on the article's side."""
        torch.manual_seed(0)
        if self.pipeline.article:
            model = getattr(self.article, name, None) or getattr(self.models, name)  # SmallCNN is the kit's
            model = model()
            return model, self.article.make_optimizer(model)
        model = getattr(self.models, name)()
        model = self.prepare(model)
        return model, self.make_optimizer(model.parameters(), 1e-3)

    @staticmethod
    def criterion(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return nn.functional.cross_entropy(logits.float(), targets)  # as cnnkit compare's

    def burst(self, name: str, warmup: int, timed: int) -> float:
        model, optimizer = self.fresh(name)
        if self.pipeline.article:
            burst = Burst(self.loader, warmup, timed)
            self.article.train_model(model, optimizer, burst, 1, log=self.log)
            return burst.images_per_second
        burst = Burst(self.batches, warmup, timed)
        with self.compare.training_context(self.device, self.dtype, None):
            self.training.train_model(model, optimizer, burst, 1, criterion=self.criterion)
        return burst.images_per_second

    def full(self, name: str, epochs: int) -> dict[str, Any]:
        """``epochs`` whole epochs of training, timed per epoch, then the test accuracy.

        The article's side: its ``train_model`` and ``evaluate_model``. The kit's side: the
        reference ``compare_models`` with what ``cnnkit compare`` passes it (progress wrapper,
        its criterion, model preparer and optimizer; the article's constant learning rate).
        """
        if self.pipeline.article:
            model, optimizer = self.fresh(name)
            passes = TimedPasses(self.loader)
            start = time.perf_counter()
            self.article.train_model(model, optimizer, passes, epochs, log=self.log)
            seconds = time.perf_counter() - start
            accuracy = self.article.evaluate_model(model, self.test_loader)
            return {"seconds": seconds, "epoch_seconds": passes.seconds, "test_accuracy": accuracy,
                    "images": epochs * len(self.loader.dataset)}
        progress = self.compare.ProgressBatches(self.batches, epochs, enabled=False)
        passes = TimedPasses(progress)
        prepare = self.compare.model_preparer(self.device, progress.new_model, fast_layers=self.pipeline.fast_layers,
                                              channels_last=self.pipeline.channels_last)
        with self.compare.training_context(self.device, self.dtype, None):
            result = self.comparison.compare_models(
                passes, self.test, num_epochs=epochs, model_names=(name,), seed=0, criterion=progress.criterion,
                prepare_model=prepare, make_optimizer=self.make_optimizer,
            )[name]
        return {"seconds": result["train_seconds"], "epoch_seconds": passes.seconds,
                "test_accuracy": result["test_accuracy"], "images": epochs * self.batches.num_samples}


def serve(pipeline: Pipeline, root: Path, limit: int | None, connection: Any, start_method: str) -> None:
    """Worker process: build the pipeline, then answer ``(method, *args)`` requests until ``None``."""
    # A spawned process defaults to spawning its own children; the article's DataLoader workers
    # must start as they would in a script run directly (fork on Linux), or each burst pays for
    # two fresh interpreters (measured: the article's pipeline ran 18 % slower).
    multiprocessing.set_start_method(start_method, force=True)
    worker = Worker(pipeline, root, limit)
    connection.send(("ready", worker.dtype == torch.bfloat16))
    while (request := connection.recv()) is not None:
        method, *arguments = request
        try:
            connection.send(("ok", getattr(worker, method)(*arguments)))
        except Exception as exc:  # noqa: BLE001 - reported by the parent
            connection.send(("error", f"{type(exc).__name__}: {exc}"))
    del worker
    gc.collect()  # shut DataLoader workers down now, not during interpreter exit


class Remote:
    """The parent's handle on one worker process."""

    def __init__(self, context: Any, pipeline: Pipeline, root: Path, limit: int | None = None) -> None:
        self.pipeline = pipeline
        self.connection, child = context.Pipe()
        self.process = context.Process(target=serve, args=(pipeline, root, limit, child,
                                                                   multiprocessing.get_start_method()))
        self.process.start()
        self.bf16 = self._reply()

    def _reply(self) -> Any:
        status, value = self.connection.recv()
        if status == "error":
            raise RuntimeError(f"pipeline {self.pipeline.name}: {value}")
        return value

    def call(self, method: str, *arguments: Any) -> Any:
        self.connection.send((method, *arguments))
        return self._reply()

    def close(self) -> None:
        self.connection.send(None)
        self.process.join(timeout=30)


# -- the report ----------------------------------------------------------------------------------
ARTICLE_MODELS = ("PlainNN", "MNIST_CNN")  # the article's comparison


def whole_epoch_table(full: dict[str, dict[str, dict[str, Any]]], epochs: int) -> str:
    """Images/s over whole epochs per model (article, kit, ratio, test accuracies), then the comparison's total time."""
    lines = [f"whole epochs ({epochs} per model, as cnnkit compare runs them; test accuracy after the last):",
             f"{'model':<10} {'article img/s':>14} {'kit img/s':>10} {'ratio':>7} {'article acc':>12} {'kit acc':>8}"]
    for name, article in full["article"].items():
        kit = full["kit"][name]
        rate_article, rate_kit = article["images"] / article["seconds"], kit["images"] / kit["seconds"]
        lines.append(f"{name:<10} {rate_article:>14,.0f} {rate_kit:>10,.0f} {rate_kit / rate_article:>6.2f}x "
                     f"{article['test_accuracy']:>11.2f}% {kit['test_accuracy']:>7.2f}%")
    every = tuple(full["article"])
    for models in [ARTICLE_MODELS] + ([every] if every != ARTICLE_MODELS else []):
        article_total = sum(full["article"][name]["seconds"] for name in models)
        kit_total = sum(full["kit"][name]["seconds"] for name in models)
        lines.append(f"measured {epochs}-epoch training of {' + '.join(models)}: article {article_total / 60:.1f} min, "
                     f"kit {kit_total / 60:.1f} min ({article_total / kit_total:.2f}x faster, "
                     f"{kit_total / article_total:.2f} of the article's time)")
    return "\n".join(lines)


def throughput_table(names: list[str], pipelines: list[Pipeline], summary: dict, repeats: int, batches: int) -> str:
    """One row per pipeline: median images/s per model and, in brackets, the ratio to the article's."""
    width = max(len(p.name) for p in pipelines)
    header = f"{'pipeline':<{width}} " + " ".join(f"{name:>19}" for name in names)
    lines = [header, "-" * len(header)]
    for pipeline in pipelines:
        cells = []
        for name in names:
            rate, article = summary[name][pipeline.name]["median"], summary[name]["article"]["median"]
            cells.append(f"{rate:>10,.0f} ({rate / article:5.2f}x)")
        lines.append(f"{pipeline.name:<{width}} " + " ".join(cells))
    lines.append(f"(images/s: median of {repeats} alternating bursts of {batches} batches of {BATCH_SIZE} per pipeline; "
                 "in brackets: ratio to the article's)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="MNIST root holding MNIST/raw/ (default: $CNNKIT_DATA)")
    parser.add_argument("--models", default="plain,cnn,small")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--batches", type=int, default=100, help="timed batches of 64 per burst")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ablation", action="store_true", help="also run the kit with each lever off")
    parser.add_argument("--full", action="store_true",
                        help="also train every model for --epochs whole epochs in both pipelines, as cnnkit compare "
                             "runs them, and report images/s over whole epochs and the comparison's total time (slow)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--train-images", type=int, default=None,
                        help="train on the first N training images only (quick checks; default: all 60,000)")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    args = parser.parse_args(argv)

    from cnnkit.mnist.compare import MODEL_KEYS
    from cnnkit.mnist.data import load_split, resolve_root

    root = resolve_root(args.data)
    load_split("train", root, download=False)  # verifies the files, clear error if absent
    names = [MODEL_KEYS[key.strip()] for key in args.models.split(",")]
    pipelines = [ARTICLE, KIT, *(ABLATION if args.ablation else ())]
    context = multiprocessing.get_context("spawn")
    remotes = [Remote(context, pipeline, root, args.train_images) for pipeline in pipelines]
    rates: dict[str, dict[str, list[float]]] = {name: {p.name: [] for p in pipelines} for name in names}
    try:
        # One untimed round first: lazy imports, oneDNN primitive creation and allocator warm-up.
        for name in names:
            for remote in remotes:
                remote.call("burst", name, args.warmup, args.warmup)
        for repeat in range(args.repeats):
            for name in names:
                for remote in remotes:
                    rates[name][remote.pipeline.name].append(remote.call("burst", name, args.warmup, args.batches))
                print(f"repeat {repeat + 1}/{args.repeats} {name:<9} "
                      + "  ".join(f"{p}: {r[-1]:,.0f}" for p, r in rates[name].items()) + " img/s", flush=True)
        full = None
        if args.full:
            whole = [name for name in ("PlainNN", "MNIST_CNN", "SmallCNN") if name in names or name in ARTICLE_MODELS]
            full = {remote.pipeline.name: {} for remote in remotes[:2]}
            for name in whole:  # the two sides take turns, model by model
                for remote in remotes[:2]:
                    full[remote.pipeline.name][name] = remote.call("full", name, args.epochs)
                    run = full[remote.pipeline.name][name]
                    print(f"whole epochs: {remote.pipeline.name:<7} {name:<9} {run['images'] / run['seconds']:,.0f} img/s, "
                          f"test accuracy {run['test_accuracy']:.2f} %", flush=True)
    finally:
        for remote in remotes:
            remote.close()

    summary = {name: {p: {"median": statistics.median(r), "samples": r} for p, r in per.items()}
               for name, per in rates.items()}
    table = throughput_table(names, pipelines, summary, args.repeats, args.batches)
    projected = {
        side: sum(args.epochs * TRAIN_IMAGES / summary[name][side]["median"] for name in ("PlainNN", "MNIST_CNN"))
        for side in ("article", "kit")
    } if {"PlainNN", "MNIST_CNN"} <= set(names) else None
    if projected:
        table += (f"\n\nprojected {args.epochs}-epoch training of PlainNN + MNIST_CNN: article {projected['article'] / 60:.1f} min, "
                  f"kit {projected['kit'] / 60:.1f} min ({projected['article'] / projected['kit']:.2f}x faster)")
    if full:
        table += "\n\n" + whole_epoch_table(full, args.epochs)
    settings = {
        "cpu_count": os.cpu_count(), "threads": torch.get_num_threads(),
        "kit_precision": "bfloat16" if remotes[1].bf16 else "float32",
        "cpu_capability": torch.backends.cpu.get_cpu_capability(), "torch": torch.__version__,
        "machine": platform.machine(), "processor": platform.processor(), "warmup": args.warmup,
        "batches": args.batches, "repeats": args.repeats, "load_average": os.getloadavg(),
        "train_images": args.train_images or TRAIN_IMAGES,
    }
    table += (f"\n({settings['cpu_count']} cores, kit precision {settings['kit_precision']}, "
              f"load average {settings['load_average'][0]:.1f}"
              + (f", first {args.train_images} training images only" if args.train_images else "") + ")")
    print(table)
    report = {"settings": settings, "pipelines": [asdict(p) for p in pipelines], "throughput": summary,
              "projected_seconds": projected, "full": full}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_mnist.json").write_text(json.dumps(report, indent=2))
    (args.out / "bench_mnist.txt").write_text(table + "\n")
    print(f"wrote {args.out / 'bench_mnist.txt'} and bench_mnist.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
