"""``cnnkit compare``: train the plain net and the CNNs on MNIST, side by side, and say what is true.

The comparison itself is exercise 9 (``ex9_mnist.compare_models``), run with the reference
solutions (``--solutions``) or with a student's own modules (``--submission DIR``, default
``exercises/`` when there are no solutions). This module only supplies what surrounds it:

* the data: the whole of MNIST loaded once into memory (``cnnkit.data``), cut into batches
  from memory instead of a DataLoader decoding one PIL image at a time;
* the context training runs in: the device (``--device auto``: CUDA, then Apple's MPS, then
  CPU), channels-last memory format for convolutions, bfloat16 autocast where the hardware
  computes in bfloat16 natively (AVX-512 BF16 / AMX on CPU, bf16-capable GPUs), float32
  elsewhere, all cores for intra-op threads, denormals flushed to zero;
* on the CPU: the allocator keeps freed memory for the next step instead of handing it back
  to the system (``keep_freed_memory``), and max-pooling and dropout run on faster equivalent
  kernels (``cnnkit.fast_layers``; ``--stock-layers`` keeps PyTorch's own);
* Adam built with its fused kernel where the device has one (``fastest_adam``);
* a progress bar per epoch (running loss, images/s), the table, JSON and plots.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import functools
import importlib
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import torch
from torch import nn

from cnnkit import paths
from cnnkit.fast_layers import speed_up
from cnnkit.data import ENV_VAR, Batches, DataError, load_sample, load_split, normalize

#: --models short names -> class names in ex7_models, in the article's order.
MODEL_KEYS: dict[str, str] = {"plain": "PlainNN", "cnn": "MNIST_CNN", "small": "SmallCNN"}
CODE_MODULES = ("ex7_models", "ex8_training", "ex9_mnist")
EVAL_BATCH_SIZE = 1000  # evaluation keeps no activations for backward: big batches are cheap


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", default=None, help=f"MNIST root holding MNIST/raw/ (default: ${ENV_VAR}, else ~/.cache/cnnkit)")
    parser.add_argument("--sample", action="store_true", help="use the embedded 2,000 + 500 digit sample (no data folder)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--models", default="plain,cnn,small", help="comma-separated: plain, cnn, small")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"), default="auto")
    parser.add_argument("--precision", choices=("auto", "bf16", "fp32"), default="auto",
                        help="auto: bfloat16 autocast where the hardware supports it natively, else float32")
    code = parser.add_mutually_exclusive_group()
    code.add_argument("--solutions", action="store_true", help="run the reference solutions (solutions/)")
    code.add_argument("--submission", type=Path, default=None, help="run your own modules from this folder")
    parser.add_argument("--out", type=Path, default=Path("compare-results"), help="folder for JSON and plots")
    parser.add_argument("--batch-size", type=int, default=64, help="training batch size (the article's: 64)")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam's learning rate (the article's: 0.001)")
    parser.add_argument("--lr-decay", type=float, default=0.7,
                        help="multiply the learning rate by this after every epoch (1.0: the article's constant rate)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: all cores)")
    parser.add_argument("--stock-layers", action="store_true",
                        help="keep PyTorch's own max-pool and dropout kernels (default on CPU: cnnkit.fast_layers)")
    parser.add_argument("--no-download", action="store_true", help="never download MNIST")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


# -- where the code comes from ---------------------------------------------------------------------
def code_folder(args: argparse.Namespace) -> Path:
    if args.submission is not None:
        return args.submission.resolve()
    if args.solutions or paths.SOLUTIONS_DIR.is_dir():
        return paths.SOLUTIONS_DIR
    return paths.EXERCISES_DIR


def load_comparison(folder: Path) -> ModuleType:
    """Import ``folder/ex9_mnist.py`` with ``folder`` first on ``sys.path`` (so its ex7/ex8 are used)."""
    if not (folder / "ex9_mnist.py").is_file():
        raise FileNotFoundError(f"no ex9_mnist.py in {folder}")
    for name in CODE_MODULES:
        sys.modules.pop(name, None)
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module("ex9_mnist")
    finally:
        sys.path.remove(str(folder))


# -- the context training runs in ----------------------------------------------------------------
def pick_device(choice: str) -> torch.device:
    """``auto``: CUDA if available, then MPS, then CPU; an explicit choice must be available."""
    if choice == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if choice == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: no CUDA GPU is available here")
    if choice == "mps" and not torch.backends.mps.is_available():
        raise SystemExit("--device mps: Apple's MPS is not available here")
    return torch.device(choice)


def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX-512 BF16 or AMX), as oneDNN sees it."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def usable_cores() -> int:
    """CPU cores this process may run on (respects taskset/cgroup affinity where the OS tells)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def pick_precision(choice: str, device: torch.device) -> torch.dtype:
    """bfloat16 where the device supports it natively (``auto``), else float32."""
    if choice == "fp32":
        return torch.float32
    if device.type == "cuda":
        supported = torch.cuda.is_bf16_supported()
    elif device.type == "cpu":
        supported = cpu_has_native_bf16()
    else:
        supported = False
    if choice == "bf16" and not supported:
        print(f"note: {device.type} has no native bfloat16 here; training in float32", file=sys.stderr)
    return torch.bfloat16 if supported else torch.float32


@contextlib.contextmanager
def training_context(device: torch.device, dtype: torch.dtype, threads: int | None) -> Iterator[None]:
    """Threads, denormal flushing and autocast for everything run inside (restored afterwards)."""
    old_threads = torch.get_num_threads()
    if device.type == "cpu":
        torch.set_num_threads(threads or usable_cores())
        torch.set_flush_denormal(True)
    # cache_enabled=False: the cast weights are cached until the context exits, and it spans all of
    # training, so a cached cast would freeze the weights at their initial values.
    autocast = (
        torch.autocast(device.type, dtype=dtype, cache_enabled=False) if dtype != torch.float32 else contextlib.nullcontext()
    )
    try:
        with autocast:
            yield
    finally:
        torch.set_num_threads(old_threads)
        if device.type == "cpu":
            torch.set_flush_denormal(False)


# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_MMAP_THRESHOLD_MAX = 32 * 1024 * 1024  # glibc's ceiling on 64-bit systems


def keep_freed_memory() -> bool:
    """Make glibc's malloc keep freed memory for reuse (process-wide; returns whether it applied).

    glibc serves an allocation above its mmap threshold (128 KiB at start) with fresh pages from
    the system and returns them when it is freed, so every training step pays page faults on
    every large activation and gradient again: measured on MNIST_CNN here, 1,400-1,500 img/s
    instead of 2,100-2,500. glibc raises the threshold by itself (up to 32 MiB) the first time a
    large mapped block is freed; loading MNIST into memory happens to do that, which is why the
    benchmark's ablation shows no difference for the kit's pipeline. This makes it not depend
    on such an accident: allocations up to 32 MiB come from the heap and the heap is never
    trimmed, at the cost of keeping the peak heap size (a few hundred MB here) until exit.
    Not glibc (macOS, Windows, musl): nothing to do.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError, TypeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_MAX)) and bool(mallopt(_M_TRIM_THRESHOLD, 2**31 - 1))


def fused_optimizers_supported(device: torch.device) -> bool:
    """Whether PyTorch has fused optimizer kernels (one kernel for all of Adam's updates) on ``device``."""
    try:
        from torch.optim.optimizer import _get_fused_kernels_supported_devices

        return device.type in _get_fused_kernels_supported_devices()
    except ImportError:
        return device.type == "cuda"


def fastest_adam(device: torch.device) -> Callable[..., torch.optim.Optimizer]:
    """The ``make_optimizer`` hook: ``Adam(parameters, lr)``, fused where ``device`` supports it."""
    return functools.partial(torch.optim.Adam, fused=True) if fused_optimizers_supported(device) else torch.optim.Adam


def model_preparer(device: torch.device, on_new_model: Callable[[str], None], fast_layers: bool = True,
                   channels_last: bool = True) -> Callable[[nn.Module], nn.Module]:
    """The ``prepare_model`` hook: note the model's name, move it, use channels-last for convolutions.

    With ``fast_layers`` (the kit's choice on the CPU), stock max-pool and dropout layers are
    swapped for the equivalent ones of ``cnnkit.fast_layers``.
    """

    def prepare(model: nn.Module) -> nn.Module:
        on_new_model(type(model).__name__)
        if fast_layers:
            speed_up(model)
        if channels_last:
            model = model.to(memory_format=torch.channels_last)  # only 4-D weights change
        return model.to(device=device)

    return prepare


# -- progress ------------------------------------------------------------------------------------
class ProgressBatches:
    """Training batches that show a tqdm bar per epoch: running loss and images/s."""

    def __init__(self, batches: Batches, epochs: int, enabled: bool = True) -> None:
        self.batches = batches
        self.epochs = epochs
        self.enabled = enabled
        self.model_name = "model"
        self.epoch = 0
        self.losses: list[torch.Tensor] = []

    def new_model(self, name: str) -> None:
        self.model_name, self.epoch = name, 0

    def criterion(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Cross-entropy that also remembers the loss for the bar (no extra device sync)."""
        loss = nn.functional.cross_entropy(logits.float(), targets)
        self.losses.append(loss.detach())
        return loss

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self):
        from tqdm import tqdm

        self.epoch += 1
        self.losses = []
        bar = tqdm(
            total=self.batches.num_samples,
            desc=f"{self.model_name:<9} epoch {self.epoch}/{self.epochs}",
            unit="img",
            unit_scale=True,
            disable=not self.enabled,
            leave=True,
            dynamic_ncols=True,
        )
        with bar:
            for index, (inputs, targets) in enumerate(self.batches):
                yield inputs, targets
                bar.update(int(inputs.shape[0]))
                if index % 50 == 49 and self.losses:
                    bar.set_postfix(loss=f"{torch.stack(self.losses[-50:]).mean().item():.4f}")
            if self.losses:
                bar.set_postfix(loss=f"{torch.stack(self.losses).mean().item():.4f}")


# -- running -------------------------------------------------------------------------------------
@dataclass
class Dataset:
    train: tuple[torch.Tensor, torch.Tensor]  # normalised images (N, 1, 28, 28), labels (N,)
    test: tuple[torch.Tensor, torch.Tensor]
    source: str


def load_data(args: argparse.Namespace) -> Dataset:
    if args.sample:
        sample = load_sample()
        splits = {name: (normalize(images), labels) for name, (images, labels) in sample.items()}
        return Dataset(splits["train"], splits["test"], "embedded sample (datasets/mnist_sample.npz)")
    splits = {}
    for split in ("train", "test"):
        images, labels = load_split(split, args.data, download=not args.no_download)
        splits[split] = (normalize(images), labels)
    return Dataset(splits["train"], splits["test"], str(args.data or os.environ.get(ENV_VAR) or "~/.cache/cnnkit"))


def parse_models(text: str) -> list[str]:
    names = []
    for key in (part.strip().lower() for part in text.split(",") if part.strip()):
        if key not in MODEL_KEYS:
            raise SystemExit(f"--models: unknown model {key!r}; choose from {', '.join(MODEL_KEYS)}")
        names.append(MODEL_KEYS[key])
    return names


def predict(model: nn.Module, images: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Predicted class of every image (N,), in eval mode, batches of EVAL_BATCH_SIZE."""
    model.eval()
    predictions = []
    with torch.no_grad():
        for start in range(0, images.shape[0], EVAL_BATCH_SIZE):
            batch = images[start : start + EVAL_BATCH_SIZE].to(device).contiguous(memory_format=torch.channels_last)
            predictions.append(model(batch).argmax(dim=1).cpu())
    return torch.cat(predictions)


def confusion_matrix(targets: torch.Tensor, predictions: torch.Tensor, classes: int = 10) -> torch.Tensor:
    """(classes, classes) counts: row = true digit, column = predicted digit."""
    return torch.bincount(targets * classes + predictions, minlength=classes * classes).reshape(classes, classes)


def run_comparison(args: argparse.Namespace, module: ModuleType, data: Dataset) -> dict[str, Any]:
    """Train and evaluate every model; returns the JSON-ready results (models kept under "_models")."""
    device = pick_device(args.device)
    dtype = pick_precision(args.precision, device)
    names = parse_models(args.models)
    allocator_tuned = device.type == "cpu" and keep_freed_memory()
    fast_layers = device.type == "cpu" and not args.stock_layers
    train = Batches(*data.train, batch_size=args.batch_size, shuffle=True, seed=args.seed, channels_last=True, device=device)
    test = Batches(*data.test, batch_size=EVAL_BATCH_SIZE, channels_last=True, device=device)
    progress = ProgressBatches(train, args.epochs, enabled=not args.no_progress)
    with training_context(device, dtype, args.threads):
        threads = torch.get_num_threads()
        results = module.compare_models(
            progress,
            test,
            num_epochs=args.epochs,
            model_names=names,
            learning_rate=args.lr,
            lr_decay=args.lr_decay,
            seed=args.seed,
            criterion=progress.criterion,
            prepare_model=model_preparer(device, progress.new_model, fast_layers=fast_layers),
            make_optimizer=fastest_adam(device),
        )
        models = {name: result.pop("model") for name, result in results.items()}
        best = max(results, key=lambda name: results[name]["test_accuracy"])
        predictions = predict(models[best], data.test[0], device)
    for name, result in results.items():
        result["images_per_second"] = args.epochs * train.num_samples / max(result["train_seconds"], 1e-9)
    return {
        "settings": {
            "data": data.source,
            "train_images": train.num_samples,
            "test_images": test.num_samples,
            "epochs": args.epochs,
            "batch_size": args.batch_size,
            "learning_rate": args.lr,
            "lr_decay": args.lr_decay,
            "optimizer": "Adam (fused)" if fused_optimizers_supported(device) else "Adam",
            "layers": "cnnkit.fast_layers" if fast_layers else "stock",
            "allocator_keeps_freed_memory": allocator_tuned,
            "seed": args.seed,
            "device": str(device),
            "precision": str(dtype).replace("torch.", ""),
            "threads": threads,
            "code": str(code_folder(args)),
            "torch": torch.__version__,
            "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "machine": platform.machine(),
        },
        "results": results,
        "best_model": best,
        "confusion_matrix": confusion_matrix(data.test[1], predictions).tolist(),
    }


# -- reporting -----------------------------------------------------------------------------------
def format_table(report: dict[str, Any]) -> str:
    """The results table, then what the parameter counts say (computed, not assumed)."""
    results = report["results"]
    header = f"{'model':<10} {'parameters':>11} {'vs PlainNN':>10} {'test acc':>9} {'train time':>10} {'images/s':>9}"
    lines = [header, "-" * len(header)]
    plain = results.get("PlainNN", {}).get("parameters")
    for name, result in results.items():
        ratio = f"{result['parameters'] / plain:.2f}x" if plain else "-"
        lines.append(
            f"{name:<10} {result['parameters']:>11,} {ratio:>10} {result['test_accuracy']:>8.2f}% "
            f"{result['train_seconds']:>9.1f}s {result['images_per_second']:>9,.0f}"
        )
    lines.extend(truth_notes(results))
    settings = report["settings"]
    lines.append(
        f"({settings['epochs']} epochs, batch {settings['batch_size']}, Adam lr {settings['learning_rate']} "
        f"x{settings.get('lr_decay', 1.0):g} per epoch, "
        f"{settings['train_images']:,} training / {settings['test_images']:,} test images, {settings['device']}, "
        f"{settings['precision']}, {settings['threads']} threads)"
    )
    return "\n".join(lines)


def truth_notes(results: dict[str, dict[str, Any]]) -> list[str]:
    """Sentences comparing the parameter counts with the plain net's, from the measured counts."""
    if "PlainNN" not in results:
        return []
    plain = results["PlainNN"]["parameters"]
    notes = []
    for name in ("MNIST_CNN", "SmallCNN"):
        if name in results:
            ratio = results[name]["parameters"] / plain
            size = f"{ratio:.1f} times" if ratio >= 1 else f"1/{1 / ratio:.1f}"
            notes.append(
                f"{name} has {size} the parameters of PlainNN "
                f"({'more' if ratio > 1 else 'fewer'}: {results[name]['parameters']:,} vs {plain:,})."
            )
    return [""] + notes if notes else []


def write_outputs(report: dict[str, Any], out: Path, table: str) -> list[Path]:
    """``results.json``, ``table.txt`` and three PNG plots into ``out``; returns the paths."""
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / "results.json"
    json_path.write_text(json.dumps(report, indent=2))
    table_path = out / "table.txt"
    table_path.write_text(table + "\n")
    return [json_path, table_path, *plot_results(report, out)]


def plot_results(report: dict[str, Any], out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = report["results"]
    written = []

    figure, axes = plt.subplots(figsize=(5, 3.2), dpi=100)
    for name, result in results.items():
        epochs = range(1, len(result["epoch_losses"]) + 1)
        axes.plot(epochs, result["epoch_losses"], marker="o", markersize=3, label=name)
    axes.set(xlabel="epoch", ylabel="mean training loss", title="Training loss per epoch", yscale="log")
    axes.legend()
    figure.tight_layout()
    written.append(_save(figure, out / "loss.png"))

    figure, axes = plt.subplots(figsize=(5, 3.2), dpi=100)
    names = list(results)
    accuracies = [results[name]["test_accuracy"] for name in names]
    bars = axes.bar(names, accuracies, color=["#888888", "#d62728", "#2ca02c"][: len(names)])
    for bar, name in zip(bars, names):
        axes.annotate(f"{results[name]['test_accuracy']:.2f}%\n{results[name]['parameters']:,} params",
                      (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom", fontsize=8)
    low = min(accuracies)
    axes.set(ylabel="test accuracy (%)", title="Test accuracy per model", ylim=(max(0.0, low - 3), 100.6))
    figure.tight_layout()
    written.append(_save(figure, out / "accuracy.png"))

    figure, axes = plt.subplots(figsize=(4.6, 4), dpi=100)
    matrix = report["confusion_matrix"]
    axes.imshow([[min(count, 30) for count in row] for row in matrix], cmap="Blues")
    for true in range(10):
        for predicted in range(10):
            if matrix[true][predicted]:
                color = "white" if true == predicted else "black"
                axes.text(predicted, true, str(matrix[true][predicted]), ha="center", va="center", fontsize=6, color=color)
    axes.set(xticks=range(10), yticks=range(10), xlabel="predicted digit", ylabel="true digit",
             title=f"Confusion matrix: {report['best_model']}")
    figure.tight_layout()
    written.append(_save(figure, out / "confusion.png"))
    return written


def _save(figure: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    figure.savefig(path)
    plt.close(figure)
    return path


def run(args: argparse.Namespace) -> int:
    if args.epochs < 1:
        raise SystemExit("--epochs must be at least 1")
    folder = code_folder(args)
    try:
        data = load_data(args)
    except DataError as exc:
        print(f"cnnkit compare: {exc}", file=sys.stderr)
        return 1
    module = load_comparison(folder)
    print(f"comparing {args.models} on {data.source} with the code in {folder}", file=sys.stderr)
    started = time.perf_counter()
    report = run_comparison(args, module, data)
    report["settings"]["total_seconds"] = time.perf_counter() - started
    table = format_table(report)
    print(table)
    for path in write_outputs(report, args.out, table):
        print(f"wrote {path}")
    return 0
