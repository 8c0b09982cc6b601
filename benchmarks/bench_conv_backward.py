"""The reference ``conv2d_backward`` (by hand) against autograd of ``F.conv2d``, on one large batch.

A benchmark, not a test: the issue's target is the reference within 3x of autograd's time for
the three gradients of a convolution on a 64x32x28x28 batch (3x3 kernel, 32 -> 64 channels,
padding 1, the shape of MNIST_CNN's second convolution). Both sides compute the same thing:
``grad_x``, ``grad_weight`` and ``grad_bias`` for a given ``grad_out`` (autograd's forward pass is
outside the timed region: only ``torch.autograd.grad`` is timed, on a graph rebuilt untimed before
each repeat). They take turns, ``--repeats`` rounds after ``--warmup`` untimed ones, and the
median of each is reported, with the largest difference between the two results.

    python benchmarks/bench_conv_backward.py [--repeats 10] [--warmup 2] [--dtype float32] [--threads N]
        [--batch 64 --in-channels 32 --out-channels 64 --size 28 --kernel 3 --stride 1 --padding 1]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent


def reference_backward():
    """``conv2d_backward`` from ``solutions/`` (imported by path: the benchmark runs from a checkout)."""
    path = ROOT / "solutions" / "ex10_conv_backward.py"
    spec = importlib.util.spec_from_file_location("bench_reference_conv_backward", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.conv2d_backward


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--in-channels", type=int, default=32)
    parser.add_argument("--out-channels", type=int, default=64)
    parser.add_argument("--size", type=int, default=28)
    parser.add_argument("--kernel", type=int, default=3)
    parser.add_argument("--stride", type=int, default=1)
    parser.add_argument("--padding", type=int, default=1)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    dtype = getattr(torch, args.dtype)
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(args.batch, args.in_channels, args.size, args.size, generator=generator, dtype=dtype)
    weight = torch.randn(args.out_channels, args.in_channels, args.kernel, args.kernel, generator=generator,
                         dtype=dtype) * 0.1
    bias = torch.zeros(args.out_channels, dtype=dtype)
    out_shape = F.conv2d(x, weight, bias, args.stride, args.padding).shape
    grad_out = torch.randn(out_shape, generator=generator, dtype=dtype)
    by_hand = reference_backward()

    def run_by_hand() -> tuple[float, tuple[torch.Tensor, ...]]:
        start = time.perf_counter()
        result = by_hand(grad_out, x, weight, args.stride, args.padding)
        return time.perf_counter() - start, result

    def run_autograd() -> tuple[float, tuple[torch.Tensor, ...]]:
        leaves = [t.detach().clone().requires_grad_() for t in (x, weight, bias)]
        out = F.conv2d(*leaves, stride=args.stride, padding=args.padding)
        start = time.perf_counter()
        result = torch.autograd.grad(out, leaves, grad_out)
        return time.perf_counter() - start, result

    times: dict[str, list[float]] = {"by hand": [], "autograd": []}
    for round_number in range(args.warmup + args.repeats):
        hand_seconds, hand = run_by_hand()
        auto_seconds, auto = run_autograd()
        if round_number >= args.warmup:
            times["by hand"].append(hand_seconds)
            times["autograd"].append(auto_seconds)
    error = max(float((a - b).abs().max() / b.abs().max().clamp(min=1e-30)) for a, b in zip(hand, auto))
    hand_median, auto_median = statistics.median(times["by hand"]), statistics.median(times["autograd"])
    print(f"conv2d backward, x {tuple(x.shape)}, weight {tuple(weight.shape)}, stride {args.stride}, "
          f"padding {args.padding}, {args.dtype}, {torch.get_num_threads()} threads, torch {torch.__version__}, "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
    print(f"  by hand (reference)  median {hand_median * 1e3:8.1f} ms   ({args.repeats} repeats)")
    print(f"  autograd (F.conv2d)  median {auto_median * 1e3:8.1f} ms")
    print(f"  ratio by hand / autograd: {hand_median / auto_median:.2f}x (target: at most 3x)")
    print(f"  largest difference, relative to each gradient's largest entry: {error:.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
