"""``cnnkit compare``'s command line: its arguments, the run from folder to outputs, and the outputs written."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from cnnkit.errors import CommandError
from cnnkit.mnist.compare.plots import plot_results
from cnnkit.mnist.compare.sources import TROUBLESHOOTING, code_folder, load_comparison, load_troubleshooting
from cnnkit.mnist.compare.tables import format_table
from cnnkit.mnist.compare.training import load_data, run_comparison
from cnnkit.mnist.data import ENV_VAR, DataError


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
    parser.add_argument("--augment", action="store_true",
                        help="opt-in: move every training image by up to --max-shift pixels each epoch (exercise 14's "
                             "random_shift, from the same code); keep it only if --validation shows a gain")
    parser.add_argument("--max-shift", type=int, default=2, help="--augment's largest shift in pixels (default 2)")
    parser.add_argument("--early-stopping", action="store_true",
                        help="opt-in: stop a model once its validation loss has not improved for --patience epochs and "
                             "test its best epoch's weights (exercise 14's EarlyStopping, from the same code); turns "
                             "--validation on")
    parser.add_argument("--patience", type=int, default=3, help="--early-stopping's patience in epochs (default 3)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: all cores)")
    parser.add_argument("--no-channels-last", action="store_true",
                        help="standard memory layout (for a forward that flattens with .view(), which needs it)")
    parser.add_argument("--stock-layers", action="store_true",
                        help="keep PyTorch's own max-pool and dropout kernels (default on CPU: cnnkit.mnist.fast_layers)")
    parser.add_argument("--no-download", action="store_true", help="never download MNIST")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def write_outputs(report: dict[str, Any], out: Path, table: str) -> list[Path]:
    """``results.json``, ``table.txt`` and the PNG plots into ``out``; returns the paths."""
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / "results.json"
    json_path.write_text(json.dumps({key: value for key, value in report.items() if not key.startswith("_")}, indent=2))
    table_path = out / "table.txt"
    table_path.write_text(table + "\n")
    return [json_path, table_path, *plot_results(report, out)]


def run(args: argparse.Namespace) -> int:
    if args.epochs < 1:
        raise CommandError("--epochs must be at least 1")
    folder = code_folder(args)
    if args.early_stopping and not args.validation:
        print("note: --early-stopping watches the validation loss: --validation is on", file=sys.stderr)
        args.validation = True
    if args.augment and not args.validation:
        print("note: keep --augment only if it helps on held-out images: compare both with --validation",
              file=sys.stderr)
    try:
        data = load_data(args)
    except DataError as exc:
        raise CommandError(str(exc)) from None
    module = load_comparison(folder)
    wanted = args.augment or args.early_stopping
    tools = load_troubleshooting(folder, required=wanted) if wanted or args.validation else None
    print(f"comparing {args.models} on {data.source} with the code in {folder}", file=sys.stderr)
    started = time.perf_counter()
    try:
        report = run_comparison(args, module, data, tools)
    except NotImplementedError as exc:
        raise CommandError(f"{exc}: --augment and --early-stopping run your exercise 14 ({TROUBLESHOOTING}.py); write "
                           "it first, or run the reference with --solutions") from None
    except ZeroDivisionError as exc:
        if not args.early_stopping:
            raise
        raise CommandError(f"{exc}: --early-stopping ends a model's training by giving its remaining epochs no "
                           "batches, and your train_model divided by the number of samples of such an epoch "
                           "(0): guard that division") from None
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
