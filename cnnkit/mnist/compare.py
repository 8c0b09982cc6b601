"""``cnnkit compare``: train the plain net and the CNNs on MNIST, side by side, and say what is true.

The comparison itself is exercise 14 (``ex14_mnist.compare_models``), run with the reference
solutions (``--solutions``) or with a student's own modules (``--submission DIR``, default
``exercises/`` when there are no solutions). This module only supplies what surrounds it:

* the data: the whole of MNIST loaded once into memory (``cnnkit.mnist.data``), cut into batches
  from memory instead of a DataLoader decoding one PIL image at a time;
* the context training runs in: the device (``--device auto``: CUDA, then Apple's MPS, then
  CPU), channels-last memory format for convolutions, bfloat16 autocast where the hardware
  computes in bfloat16 natively (AVX-512 BF16 / AMX on CPU, bf16-capable GPUs), float32
  elsewhere, all cores for intra-op threads, denormals flushed to zero;
* on the CPU: the allocator keeps freed memory for the next step instead of handing it back
  to the system (``keep_freed_memory``), and max-pooling and dropout run on faster equivalent
  kernels (``cnnkit.mnist.fast_layers``; ``--stock-layers`` keeps PyTorch's own);
* Adam built with its fused kernel where the device has one (``fastest_adam``);
* a progress bar per epoch (running loss, images/s), the table, JSON and plots: loss,
  accuracy, confusion matrix, what the best CNN learned (``filters.png``, ``mistakes.png``)
  and what the article's CNN computes on one digit (``feature_maps.png``: its single pooling
  takes 28x28 to 14x14, not the 7x7 the article's comment says).

The recipe is the article's: Adam at a constant learning rate of 0.001, batch 64, 10 epochs,
all 60,000 training images, the test set evaluated once at the end. Improvements are opt-in
(``--lr-decay``) and are to be chosen with ``--validation``: the last 5,000 training images are
held out and their accuracy is reported after every epoch; the test set never chooses anything.
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

from cnnkit import paths, spec
from cnnkit.errors import CommandError
from cnnkit.mnist.data import ENV_VAR, Batches, DataError, load_sample, load_split, normalize, split_validation
from cnnkit.mnist.fast_layers import speed_up

#: --models short names -> class names in ex7_models, in the article's order.
MODEL_KEYS: dict[str, str] = {"plain": "PlainNN", "cnn": "MNIST_CNN", "small": "SmallCNN"}
COMPARISON = "ex14_mnist"  # the exercise whose compare_models this command runs
# --models own: the student's exercise-13 network (every layer theirs), trained next to compare_models' models.
OWN_KEY, OWN_MODULE, OWN_MODEL = "own", "ex13_own_cnn", "OwnSmallCNN"
CODE_MODULES = (*spec.exercise(COMPARISON).depends_on, COMPARISON)
EVAL_BATCH_SIZE = 1000  # evaluation keeps no activations for backward: big batches are cheap


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", default=None, help=f"MNIST root holding MNIST/raw/ (default: ${ENV_VAR}, else ~/.cache/cnnkit)")
    parser.add_argument("--sample", action="store_true", help="use the embedded 2,000 + 500 digit sample (no data folder)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--models", default="plain,cnn,small", help="comma-separated: plain, cnn, small, own (exercise 13's OwnSmallCNN: every layer yours; slower)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"), default="auto")
    parser.add_argument("--precision", choices=("auto", "bf16", "fp32"), default="auto",
                        help="auto: bfloat16 autocast where the hardware supports it natively, else float32")
    code = parser.add_mutually_exclusive_group()
    code.add_argument("--solutions", action="store_true", help="run the reference solutions (solutions/)")
    code.add_argument("--submission", type=Path, default=None, help="run your own modules from this folder")
    parser.add_argument("--out", type=Path, default=Path("compare-results"), help="folder for JSON and plots")
    parser.add_argument("--batch-size", type=int, default=64, help="training batch size (the article's: 64)")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam's learning rate (the article's: 0.001)")
    parser.add_argument("--lr-decay", type=float, default=1.0,
                        help="opt-in: multiply the learning rate by this after every epoch (default 1.0: the article's "
                             "constant rate); choose it with --validation, never by the test accuracy")
    parser.add_argument("--validation", action="store_true",
                        help="hold out the last 5,000 training images (a tenth of --sample's) and report their "
                             "accuracy after every epoch; training then uses the other 55,000")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: all cores)")
    parser.add_argument("--no-channels-last", action="store_true",
                        help="standard memory layout (for a forward that flattens with .view(), which needs it)")
    parser.add_argument("--stock-layers", action="store_true",
                        help="keep PyTorch's own max-pool and dropout kernels (default on CPU: cnnkit.mnist.fast_layers)")
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
    """Import ``folder/ex14_mnist.py`` with ``folder`` first on ``sys.path`` (so its ex7/ex8 are used)."""
    if not (folder / f"{COMPARISON}.py").is_file():
        raise CommandError(f"no {COMPARISON}.py in {folder}: point --submission at the folder with your exercise files")
    for name in CODE_MODULES:
        sys.modules.pop(name, None)
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module(COMPARISON)
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
        raise CommandError("--device cuda: no CUDA GPU is available here")
    if choice == "mps" and not torch.backends.mps.is_available():
        raise CommandError("--device mps: Apple's MPS is not available here")
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


def model_preparer(device: torch.device, on_new_model: Callable[[nn.Module], None], fast_layers: bool = True,
                   channels_last: bool = True) -> Callable[[nn.Module], nn.Module]:
    """The ``prepare_model`` hook: move the model, use channels-last for convolutions, then hand the
    prepared model to ``on_new_model`` (the progress bar and the per-epoch validation use it).

    With ``fast_layers`` (the kit's choice on the CPU), stock max-pool and dropout layers are
    swapped for the equivalent ones of ``cnnkit.mnist.fast_layers``.
    """

    def prepare(model: nn.Module) -> nn.Module:
        if fast_layers:
            speed_up(model)
        if channels_last:
            model = model.to(memory_format=torch.channels_last)  # only 4-D weights change
        model = model.to(device=device)
        on_new_model(model)
        return model

    return prepare


# -- progress ------------------------------------------------------------------------------------
class ProgressBatches:
    """Training batches that show a tqdm bar per epoch (running loss, images/s) and, given a
    validation set, measure the model's accuracy on it after every epoch.

    The validation pass runs when the training loop asks for the batch after the last one, that
    is after the last optimizer step of the epoch, in eval mode and without gradients (no random
    numbers drawn, so training goes on exactly as without it); the model's mode is restored. Its
    time is recorded per model (``validation_seconds``) so that it can be taken out of the
    training time.
    """

    def __init__(self, batches: Batches, epochs: int, enabled: bool = True,
                 validation: tuple[torch.Tensor, torch.Tensor] | None = None,
                 device: torch.device = torch.device("cpu")) -> None:
        self.batches = batches
        self.epochs = epochs
        self.enabled = enabled
        self.validation = validation
        self.device = device
        self.model: nn.Module | None = None
        self.model_name = "model"
        self.epoch = 0
        self.losses: list[torch.Tensor] = []
        self.validation_accuracy: dict[str, list[float]] = {}
        self.validation_seconds: dict[str, float] = {}

    def new_model(self, model: nn.Module) -> None:
        """Start a model: its epochs count from 1, and the shuffled order starts again from epoch 0.

        Restarting the order gives every model the same batches, like the seed that
        ``compare_models`` resets before building each model gives it the same start: a model's
        row does not depend on the models trained before it, and ``--models cnn`` reproduces
        MNIST_CNN's row of the full comparison.
        """
        self.model, self.model_name, self.epoch = model, type(model).__name__, 0
        self.batches.epoch = 0
        self.validation_accuracy[self.model_name] = []
        self.validation_seconds[self.model_name] = 0.0

    def validate(self) -> float | None:
        """Accuracy (percent) of the current model on the validation set, or None without one."""
        if self.validation is None or self.model is None:
            return None
        started = time.perf_counter()
        was_training = self.model.training
        images, labels = self.validation
        accuracy = 100.0 * float((predict(self.model, images, self.device) == labels).float().mean())
        self.model.train(was_training)
        self.validation_accuracy[self.model_name].append(accuracy)
        self.validation_seconds[self.model_name] += time.perf_counter() - started
        return accuracy

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
            postfix = {"loss": f"{torch.stack(self.losses).mean().item():.4f}"} if self.losses else {}
            accuracy = self.validate()
            if accuracy is not None:
                postfix["val_acc"] = f"{accuracy:.2f}%"
            if postfix:
                bar.set_postfix(postfix)


# -- running -------------------------------------------------------------------------------------
@dataclass
class Dataset:
    train: tuple[torch.Tensor, torch.Tensor]  # normalised images (N, 1, 28, 28), labels (N,)
    test: tuple[torch.Tensor, torch.Tensor]
    source: str
    validation: tuple[torch.Tensor, torch.Tensor] | None = None  # held out of the training images


def load_data(args: argparse.Namespace) -> Dataset:
    """The normalised splits; with ``--validation`` the last training images become the validation set."""
    if args.sample:
        sample = load_sample()
        splits = {name: (normalize(images), labels) for name, (images, labels) in sample.items()}
        source = "embedded sample (datasets/mnist_sample.npz)"
    else:
        splits = {}
        for split in ("train", "test"):
            images, labels = load_split(split, args.data, download=not args.no_download)
            splits[split] = (normalize(images), labels)
        source = str(args.data or os.environ.get(ENV_VAR) or "~/.cache/cnnkit")
    if getattr(args, "validation", False):
        train, validation = split_validation(*splits["train"])
        return Dataset(train, splits["test"], source, validation)
    return Dataset(splits["train"], splits["test"], source)


def parse_models(text: str) -> list[str]:
    names = []
    for key in (part.strip().lower() for part in text.split(",") if part.strip()):
        if key == OWN_KEY:
            names.append(OWN_MODEL)
            continue
        if key not in MODEL_KEYS:
            raise CommandError(f"--models: unknown model {key!r}; choose from {', '.join([*MODEL_KEYS, OWN_KEY])}")
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
    channels_last = not getattr(args, "no_channels_last", False)
    train = Batches(*data.train, batch_size=args.batch_size, shuffle=True, seed=args.seed,
                    channels_last=channels_last, device=device)
    test = Batches(*data.test, batch_size=EVAL_BATCH_SIZE, channels_last=channels_last, device=device)
    progress = ProgressBatches(train, args.epochs, enabled=not args.no_progress, validation=data.validation,
                               device=device)
    with training_context(device, dtype, args.threads):
        threads = torch.get_num_threads()
        prepare = model_preparer(device, progress.new_model, fast_layers=fast_layers, channels_last=channels_last)
        results = {} if names == [OWN_MODEL] else module.compare_models(
            progress,
            test,
            num_epochs=args.epochs,
            model_names=[name for name in names if name != OWN_MODEL],
            learning_rate=args.lr,
            lr_decay=args.lr_decay,
            seed=args.seed,
            criterion=progress.criterion,
            prepare_model=prepare,
            make_optimizer=fastest_adam(device),
        )
        if OWN_MODEL in names:
            results[OWN_MODEL] = train_own_cnn(args, progress, test, prepare, fastest_adam(device))
        models = {name: result.pop("model") for name, result in results.items()}
        best = max(results, key=lambda name: results[name]["test_accuracy"])
        predictions = predict(models[best], data.test[0], device)
        cnns = [name for name in results if first_convolutions(models[name], 1)]
        best_cnn = max(cnns, key=lambda name: results[name]["test_accuracy"]) if cnns else None
        cnn_predictions = predict(models[best_cnn], data.test[0], device) if best_cnn else None
    for name, result in results.items():
        # the per-epoch validation passes ran inside compare_models' timing: they are not training
        result["train_seconds"] -= progress.validation_seconds.get(name, 0.0)
        result["images_per_second"] = args.epochs * train.num_samples / max(result["train_seconds"], 1e-9)
        if data.validation is not None:
            result["validation_accuracy"] = progress.validation_accuracy.get(name, [])
    return {
        "settings": {
            "data": data.source,
            "train_images": train.num_samples,
            "validation_images": 0 if data.validation is None else int(data.validation[1].shape[0]),
            "test_images": test.num_samples,
            "epochs": args.epochs,
            "batch_size": args.batch_size,
            "learning_rate": args.lr,
            "lr_decay": args.lr_decay,
            "optimizer": "Adam (fused)" if fused_optimizers_supported(device) else "Adam",
            "layers": "cnnkit.mnist.fast_layers" if fast_layers else "stock",
            "channels_last": channels_last,
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
        "best_cnn": best_cnn,
        "mistakes": [] if cnn_predictions is None else torch.nonzero(cnn_predictions != data.test[1]).flatten().tolist(),
        "mistaken_as": [] if cnn_predictions is None else cnn_predictions[cnn_predictions != data.test[1]].tolist(),
        "_models": models,
        "_test": data.test,
    }


def train_own_cnn(args: argparse.Namespace, train: ProgressBatches, test: Batches,
                  prepare: Callable[[nn.Module], nn.Module],
                  make_optimizer: Callable[..., torch.optim.Optimizer]) -> dict[str, Any]:
    """``--models own``: the student's ``OwnSmallCNN`` (exercise 13) trained with their ``train_own_cnn``,
    with compare_models' recipe (seed, Adam, epochs, lr decay); the same result row as compare_models'.

    In float32 (no autocast): the student's Functions take and return one dtype.
    """
    folder = code_folder(args)
    if not (folder / f"{OWN_MODULE}.py").is_file():
        raise CommandError(f"--models own: no {OWN_MODULE}.py in {folder} (exercise 13)")
    for name in (*spec.exercise(OWN_MODULE).depends_on, OWN_MODULE):
        if name not in CODE_MODULES:  # ex8_training stays the one compare_models uses
            sys.modules.pop(name, None)
    sys.path.insert(0, str(folder))
    try:
        own = importlib.import_module(OWN_MODULE)
    finally:
        sys.path.remove(str(folder))
    torch.manual_seed(args.seed)
    model = prepare(own.OwnSmallCNN())
    optimizer = make_optimizer(model.parameters(), args.lr)
    device_type = next(model.parameters()).device.type
    started = time.perf_counter()
    losses: list[float] = []
    with torch.autocast(device_type, enabled=False):
        for _ in range(args.epochs):
            losses += own.train_own_cnn(model, optimizer, train, 1)
            for group in optimizer.param_groups:
                group["lr"] *= args.lr_decay
        seconds = time.perf_counter() - started
        accuracy = sys.modules["ex8_training"].evaluate_model(model, test)
    print(f"{OWN_MODEL}: every layer of this network is yours ({accuracy:.2f} % of the test digits)", file=sys.stderr)
    return {"parameters": sum(p.numel() for p in model.parameters() if p.requires_grad), "test_accuracy": accuracy,
            "train_seconds": seconds, "epoch_losses": losses, "model": model}


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
    validated = [name for name, result in results.items() if result.get("validation_accuracy")]
    if validated:
        lines.append("")
        lines.append("validation accuracy after each epoch (held-out training images; choose settings on these):")
        for name in validated:
            lines.append(f"{name:<10} " + " ".join(f"{acc:.2f}" for acc in results[name]["validation_accuracy"]))
    lines.extend(truth_notes(results))
    settings = report["settings"]
    decay = settings.get("lr_decay", 1.0)
    rate = f"Adam lr {settings['learning_rate']} " + (f"x{decay:g} per epoch" if decay != 1.0 else "constant")
    held_out = settings.get("validation_images", 0)
    lines.append(
        f"({settings['epochs']} epochs, batch {settings['batch_size']}, {rate}, "
        f"{settings['train_images']:,} training" + (f" / {held_out:,} validation" if held_out else "")
        + f" / {settings['test_images']:,} test images, {settings['device']}, "
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
    """``results.json``, ``table.txt`` and the PNG plots into ``out``; returns the paths."""
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / "results.json"
    json_path.write_text(json.dumps({key: value for key, value in report.items() if not key.startswith("_")}, indent=2))
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

    validated = {name: result["validation_accuracy"] for name, result in results.items()
                 if result.get("validation_accuracy")}
    if validated:
        figure, axes = plt.subplots(figsize=(5, 3.2), dpi=100)
        for name, accuracies in validated.items():
            axes.plot(range(1, len(accuracies) + 1), accuracies, marker="o", markersize=3, label=name)
        axes.set(xlabel="epoch", ylabel="validation accuracy (%)",
                 title="Held-out training images, after each epoch")
        axes.legend()
        figure.tight_layout()
        written.append(_save(figure, out / "validation.png"))

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
    best_cnn = report.get("best_cnn")
    if best_cnn and "_models" in report:
        model, (images, labels) = report["_models"][best_cnn], report["_test"]
        written.append(plot_filters(model, best_cnn, out / "filters.png"))
        shown = feature_maps_model(report)
        written.append(plot_feature_maps(report["_models"][shown], shown, images, labels, out / "feature_maps.png"))
        written.append(plot_mistakes(report, images, labels, out / "mistakes.png"))
    return written


# -- what the CNNs learned -----------------------------------------------------------------------
#: The article's CNN ("Model 2"): ``feature_maps.png`` shows it whenever it was trained, because its
#: one pooling (28x28 -> 14x14) is what the article's "after two poolings ... 7x7" gets wrong.
ARTICLE_CNN = "MNIST_CNN"


def feature_maps_model(report: dict[str, Any]) -> str:
    """The model ``feature_maps.png`` shows: the article's CNN if it was trained, else the best CNN."""
    return ARTICLE_CNN if ARTICLE_CNN in report.get("_models", {}) else report["best_cnn"]


def first_convolutions(model: nn.Module, count: int = 2) -> list[nn.Conv2d]:
    """The model's first ``count`` ``nn.Conv2d`` modules, in registration order (= usage order here)."""
    return [module for module in model.modules() if isinstance(module, nn.Conv2d)][:count]


def convolution_maps(model: nn.Module, image: torch.Tensor) -> list[tuple[str, torch.Tensor]]:
    """What the first two convolutions of ``model`` compute on one normalised image (1, 28, 28).

    Forward hooks record each convolution's output during an eval-mode pass; shown after ReLU
    (what the next layer receives), and the second one also after 2x2 max-pooling, the article's
    single pooling: [(title, maps (C, H, W)), ...].
    """
    captured: list[torch.Tensor] = []
    hooks = [conv.register_forward_hook(lambda _m, _i, out: captured.append(out.detach().float().cpu()))
             for conv in first_convolutions(model)]
    parameter = next(model.parameters())
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(image.unsqueeze(0).to(parameter.device).contiguous(memory_format=torch.channels_last))
    finally:
        model.train(was_training)
        for hook in hooks:
            hook.remove()
    maps = []
    for index, output in enumerate(captured[:2], start=1):
        activated = torch.relu(output[0])
        maps.append((f"conv{index} + ReLU", activated))
        if index == 2:
            maps.append((f"conv{index} + ReLU + 2x2 max-pool", nn.functional.max_pool2d(activated, 2)))
    return maps


def _mosaic(maps: torch.Tensor, columns: int) -> torch.Tensor:
    """(C, H, W) -> one image: the maps in a grid of ``columns``, each scaled to [0, 1], 1-pixel gaps (NaN)."""
    channels, height, width = maps.shape
    rows = -(-channels // columns)
    mosaic = torch.full((rows * (height + 1) - 1, columns * (width + 1) - 1), float("nan"))
    for index in range(channels):
        tile = maps[index]
        tile = (tile - tile.min()) / (tile.max() - tile.min()).clamp_min(1e-8)
        row, column = divmod(index, columns)
        mosaic[row * (height + 1):row * (height + 1) + height, column * (width + 1):column * (width + 1) + width] = tile
    return mosaic


def plot_filters(model: nn.Module, name: str, path: Path) -> Path:
    """The first convolution's learned kernels, one small image each (blue negative, red positive)."""
    import matplotlib.pyplot as plt

    weight = first_convolutions(model, 1)[0].weight.detach().float().cpu()  # (out, in, kh, kw)
    kernels = weight[:, 0]
    columns = 8
    rows = -(-kernels.shape[0] // columns)
    limit = float(kernels.abs().max())
    figure, axes = plt.subplots(rows, columns, figsize=(columns * 0.8, rows * 0.8 + 0.5), dpi=100, squeeze=False)
    for index, axis in enumerate(axes.flat):
        axis.set_axis_off()
        if index < kernels.shape[0]:
            axis.imshow(kernels[index].numpy(), cmap="bwr", vmin=-limit, vmax=limit)
            axis.set_title(str(index), fontsize=7)
    figure.suptitle(f"{name}: the {kernels.shape[0]} learned {kernels.shape[1]}x{kernels.shape[2]} filters of its "
                    "first convolution", fontsize=9)
    figure.tight_layout()
    return _save(figure, path)


def plot_feature_maps(model: nn.Module, name: str, images: torch.Tensor, labels: torch.Tensor, path: Path) -> Path:
    """One test digit and every filter's response in the first two convolutions, before and after pooling.

    Panels are drawn at the same scale per pixel, so the 28x28 -> 14x14 of the pooling shows as
    a mosaic half as large.
    """
    import matplotlib.pyplot as plt
    from matplotlib import gridspec

    index = 0
    maps = convolution_maps(model, images[index])
    mosaics = [("input", images[index, 0].float(), 1)] + [
        (f"{title}\n{tuple(m.shape)}", _mosaic(m, 8), m.shape[0]) for title, m in maps]
    widths = [mosaic.shape[1] for _, mosaic, _ in mosaics]
    height = max(mosaic.shape[0] for _, mosaic, _ in mosaics)
    figure = plt.figure(figsize=(sum(widths) / 40 + 0.6, height / 40 + 0.9), dpi=100)
    grid = gridspec.GridSpec(1, len(mosaics), width_ratios=widths, figure=figure, left=0.01, right=0.99, wspace=0.04,
                             top=1 - 0.75 / (height / 40 + 0.9), bottom=0.01)
    for position, (title, mosaic, _) in enumerate(mosaics):
        axis = figure.add_subplot(grid[position])
        axis.imshow(mosaic.numpy(), cmap="gray" if position == 0 else "magma", interpolation="nearest")
        axis.set_xlim(-0.5, mosaic.shape[1] - 0.5)
        axis.set_ylim(height - 0.5, -0.5)  # same pixel scale in every panel, aligned at the top
        axis.set_axis_off()
        axis.set_title(title if position else f"test digit {index}\n(label {int(labels[index])})", fontsize=8)
    who = f"{name}, the article's CNN" if name == ARTICLE_CNN else name
    figure.suptitle(f"{who}: what each filter responds to (brighter = stronger)", fontsize=9)
    return _save(figure, path)


def plot_mistakes(report: dict[str, Any], images: torch.Tensor, labels: torch.Tensor, path: Path,
                  limit: int = 48) -> Path:
    """The test digits the best CNN gets wrong (the first ``limit``), each with true and predicted label."""
    import matplotlib.pyplot as plt

    wrong, predicted = report["mistakes"], report["mistaken_as"]
    shown = min(len(wrong), limit)
    columns = 12
    rows = max(1, -(-shown // columns))
    figure, axes = plt.subplots(rows, columns, figsize=(columns * 0.9, rows * 1.05 + 0.5), dpi=100, squeeze=False)
    for position, axis in enumerate(axes.flat):
        axis.set_axis_off()
        if position < shown:
            index = wrong[position]
            axis.imshow(images[index, 0].float().numpy(), cmap="gray_r")
            axis.set_title(f"{int(labels[index])} -> {predicted[position]}", fontsize=8, color="#b22222")
    figure.suptitle(f"{report['best_cnn']}: {len(wrong)} of {labels.shape[0]:,} test digits wrong "
                    f"(true -> predicted){f', first {shown} shown' if shown < len(wrong) else ''}", fontsize=9)
    figure.tight_layout()
    return _save(figure, path)


def _save(figure: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    figure.savefig(path)
    plt.close(figure)
    return path


def run(args: argparse.Namespace) -> int:
    if args.epochs < 1:
        raise CommandError("--epochs must be at least 1")
    folder = code_folder(args)
    try:
        data = load_data(args)
    except DataError as exc:
        raise CommandError(str(exc)) from None
    module = load_comparison(folder)
    print(f"comparing {args.models} on {data.source} with the code in {folder}", file=sys.stderr)
    started = time.perf_counter()
    try:
        report = run_comparison(args, module, data)
    except RuntimeError as exc:
        if "view size is not compatible" not in str(exc):
            raise
        raise CommandError(f"{exc}: your forward flattens with .view(...), which needs a contiguous tensor, and "
                           "cnnkit compare trains with channels-last tensors: flatten with torch.flatten(x, 1) (or "
                           "x.reshape), or run with --no-channels-last") from None
    report["settings"]["total_seconds"] = time.perf_counter() - started
    table = format_table(report)
    print(table)
    for path in write_outputs(report, args.out, table):
        print(f"wrote {path}")
    return 0
