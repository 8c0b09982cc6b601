"""The context ``cnnkit compare`` trains in: the device, the precision, threads and autocast, glibc's
allocator, Adam's fused kernel, and the ``prepare_model`` hook (channels-last, the fast layers)."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import sys
from collections.abc import Callable, Iterator

import torch
from torch import nn

from cnnkit.errors import CommandError
from cnnkit.mnist.fast_layers import speed_up


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
