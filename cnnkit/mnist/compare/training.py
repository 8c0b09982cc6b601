"""Running the comparison: the data, exercise 15's ``compare_models`` in the training context, exercise 13's
own network beside it, and the record of what every model did (``run_comparison``'s report)."""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import torch
from torch import nn

from cnnkit import spec
from cnnkit.errors import CommandError
from cnnkit.mnist.compare.context import (fastest_adam, fused_optimizers_supported, keep_freed_memory, model_preparer,
                                          pick_device, pick_precision, training_context)
from cnnkit.mnist.compare.evaluation import EVAL_BATCH_SIZE, confusion_matrix, predict
from cnnkit.mnist.compare.learned import first_convolutions
from cnnkit.mnist.compare.progress import ProgressBatches
from cnnkit.mnist.compare.sources import CODE_MODULES, OWN_MODEL, OWN_MODULE, code_folder, parse_models
from cnnkit.mnist.data import (ENV_VAR, MNIST_MEAN, MNIST_STD, Batches, load_sample, load_split, normalize,
                               split_validation)


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


def run_comparison(args: argparse.Namespace, module: ModuleType, data: Dataset,
                   tools: ModuleType | None = None) -> dict[str, Any]:
    """Train and evaluate every model; returns the JSON-ready results (models kept under "_models").

    ``tools``: exercise 14's module (``load_troubleshooting``), for ``--augment``, ``--early-stopping`` and the
    diagnosis of each model's curves.
    """
    device = pick_device(args.device)
    dtype = pick_precision(args.precision, device)
    names = parse_models(args.models)
    allocator_tuned = device.type == "cpu" and keep_freed_memory()
    fast_layers = device.type == "cpu" and not args.stock_layers
    channels_last = not getattr(args, "no_channels_last", False)
    train = Batches(*data.train, batch_size=args.batch_size, shuffle=True, seed=args.seed,
                    channels_last=channels_last, device=device)
    test = Batches(*data.test, batch_size=EVAL_BATCH_SIZE, channels_last=channels_last, device=device)
    augment, make_stopper = exercise14_hooks(args, tools)
    progress = ProgressBatches(train, args.epochs, enabled=not args.no_progress, validation=data.validation,
                               device=device, augment=augment, make_stopper=make_stopper, seed=args.seed)
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
        record_curves(name, result, args, progress, train.num_samples, data, tools)
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
            "augment_max_shift": args.max_shift if getattr(args, "augment", False) else 0,
            "early_stopping_patience": args.patience if getattr(args, "early_stopping", False) else None,
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


def exercise14_hooks(args: argparse.Namespace, tools: ModuleType | None) -> tuple[
        Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None, Callable[[], Any] | None]:
    """``ProgressBatches``' ``augment`` and ``make_stopper``: exercise 14's ``random_shift`` (``--augment``) and
    ``EarlyStopping`` (``--early-stopping``), None for each one that is off."""

    def shift(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return tools.random_shift(images, args.max_shift, generator, fill=BACKGROUND)

    def stopper() -> Any:
        return tools.EarlyStopping(patience=args.patience)

    return (shift if getattr(args, "augment", False) else None,
            stopper if getattr(args, "early_stopping", False) else None)


def record_curves(name: str, result: dict[str, Any], args: argparse.Namespace, progress: ProgressBatches,
                  train_images: int, data: Dataset, tools: ModuleType | None) -> None:
    """Complete a model's result row from what ``progress`` saw: the epochs trained, the training time without
    the validation passes, images/s, the per-epoch curves, exercise 14's diagnosis and the early stop."""
    trained = progress.epochs_trained.get(name) or args.epochs  # early stopping leaves the last epochs empty
    result["epoch_losses"] = result["epoch_losses"][:trained]
    # the per-epoch validation passes ran inside compare_models' timing: they are not training
    result["train_seconds"] -= progress.validation_seconds.get(name, 0.0)
    result["images_per_second"] = trained * train_images / max(result["train_seconds"], 1e-9)
    result["train_accuracy"] = progress.train_accuracy.get(name, [])
    if data.validation is not None:
        result["validation_accuracy"] = progress.validation_accuracy.get(name, [])
        result["validation_loss"] = progress.validation_loss.get(name, [])
        result["diagnosis"] = diagnosis(tools, result)
    if getattr(args, "early_stopping", False):
        result["epochs_trained"], result["best_epoch"] = trained, progress.best_epoch.get(name)


#: What ``--augment`` fills the pixels shifted in with: the normalised background, (0 - mean) / std.
BACKGROUND = (0.0 - MNIST_MEAN) / MNIST_STD


def diagnosis(tools: ModuleType | None, result: dict[str, Any]) -> str | None:
    """What exercise 14's ``diagnose`` reads in a model's curves; None when it cannot say (no exercise 14, fewer
    than two epochs, no training accuracy: ``--models own`` trains with its own loss) or raises (not written yet)."""
    curves = (result["epoch_losses"], result.get("validation_loss", []), result["train_accuracy"],
              result.get("validation_accuracy", []))
    if tools is None or len(curves[0]) < 2 or len({len(curve) for curve in curves}) != 1:
        return None
    try:
        said = tools.diagnose(*(list(curve) for curve in curves))
    except Exception:  # noqa: BLE001 - the student's diagnose may not be written yet: the table says so
        return None
    return said if isinstance(said, str) else None


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
