"""MNIST for the kit: find and verify the files, load them once into tensors, batch from memory.

Where the data lives (first that applies):

1. the ``root`` argument (``cnnkit compare --data ROOT``),
2. the environment variable ``CNNKIT_DATA``,
3. ``~/.cache/cnnkit``.

Under that root the files follow torchvision's layout, ``ROOT/MNIST/raw/<name>`` with
``<name>`` one of ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, each plain or gzipped (``.gz``).
Missing files are downloaded through torchvision when the machine is online; offline, a
``DataError`` says where the files are expected and how to get them. Every file is checked
(IDX magic number, dimensions, size) before use, so a truncated download fails loudly instead
of training on garbage.

The embedded sample (``datasets/mnist_sample.npz``, see ``datasets/README.md``) needs no data
folder at all: ``load_sample()``.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from cnnkit import paths

#: The article's normalisation (the training set's mean and standard deviation of pixel/255).
MNIST_MEAN = 0.1307
MNIST_STD = 0.3081
#: ``cnnkit compare --validation``: the last 5,000 of the 60,000 training images, a fixed split
#: (never the test set) on which opt-in improvements over the article's recipe are chosen.
VALIDATION_IMAGES = 5_000
ENV_VAR = "CNNKIT_DATA"
DEFAULT_ROOT = Path.home() / ".cache" / "cnnkit"
SAMPLE_PATH = paths.DATASETS_DIR / "mnist_sample.npz"

_IMAGES_MAGIC = 2051  # IDX: unsigned bytes, 3 dimensions
_LABELS_MAGIC = 2049  # IDX: unsigned bytes, 1 dimension


class DataError(RuntimeError):
    """MNIST files missing, unreadable or corrupt; the message says what to do."""


@dataclass(frozen=True)
class SplitFiles:
    images: str
    labels: str
    count: int


SPLITS: dict[str, SplitFiles] = {
    "train": SplitFiles("train-images-idx3-ubyte", "train-labels-idx1-ubyte", 60_000),
    "test": SplitFiles("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 10_000),
}


def resolve_root(root: str | os.PathLike | None = None) -> Path:
    """The data root: ``root`` if given, else ``$CNNKIT_DATA``, else ``~/.cache/cnnkit``."""
    if root is not None:
        return Path(root).expanduser()
    from_env = os.environ.get(ENV_VAR)
    return Path(from_env).expanduser() if from_env else DEFAULT_ROOT


def raw_dir(root: Path) -> Path:
    """``ROOT/MNIST/raw``; a root that already *is* the raw folder (or ``ROOT/MNIST``) is accepted too."""
    for candidate in (root / "MNIST" / "raw", root / "raw", root):
        if any((candidate / name).exists() or (candidate / f"{name}.gz").exists() for name in _all_names()):
            return candidate
    return root / "MNIST" / "raw"


def _all_names() -> list[str]:
    return [name for split in SPLITS.values() for name in (split.images, split.labels)]


def _find(raw: Path, name: str) -> Path | None:
    for candidate in (raw / name, raw / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _missing(raw: Path) -> list[str]:
    return [name for name in _all_names() if _find(raw, name) is None]


def _offline_message(raw: Path, missing: list[str], reason: str) -> str:
    return (
        f"MNIST is not in {raw} (missing: {', '.join(missing)}) and downloading it failed ({reason}).\n"
        f"  Put the four files there (plain or .gz), in torchvision's layout ROOT/MNIST/raw/, e.g. from\n"
        f"  https://ossci-datasets.s3.amazonaws.com/mnist/ , or run once while online:\n"
        f"      python -c \"import torchvision; torchvision.datasets.MNIST('{raw.parent.parent}', download=True)\"\n"
        f"  then pass the root with --data ROOT or set {ENV_VAR}=ROOT."
    )


def _download(root: Path) -> None:
    """Fetch MNIST into ``root/MNIST/raw`` through torchvision (raises whatever the download raises)."""
    from torchvision.datasets import MNIST

    MNIST(str(root), train=True, download=True)
    MNIST(str(root), train=False, download=True)


def ensure_files(root: str | os.PathLike | None = None, download: bool = True) -> Path:
    """The raw folder holding all four MNIST files; downloads them if missing and allowed.

    Raises:
        DataError: files missing and the download is off or failed (offline); the message
            says where the files are expected and how to get them.
    """
    base = resolve_root(root)
    raw = raw_dir(base)
    missing = _missing(raw)
    if not missing:
        return raw
    if not download:
        raise DataError(_offline_message(raw, missing, "downloads are turned off"))
    try:
        _download(base)
    except Exception as exc:  # noqa: BLE001 - network errors come in many types
        raise DataError(_offline_message(raw, missing, f"{type(exc).__name__}: {exc}"[:300])) from exc
    raw = raw_dir(base)
    missing = _missing(raw)
    if missing:
        raise DataError(_offline_message(raw, missing, "the download finished without them"))
    return raw


def _read_bytes(path: Path) -> bytes:
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as handle:
                return handle.read()
        return path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DataError(f"cannot read {path}: {exc}. Delete it and download MNIST again.") from exc


def read_idx(path: Path, magic: int, count: int) -> np.ndarray:
    """Read one IDX file, checking magic number, item count and size.

    Returns uint8 ``(count, 28, 28)`` for image files (magic 2051), ``(count,)`` for labels (2049).
    """
    data = _read_bytes(path)
    dims = 3 if magic == _IMAGES_MAGIC else 1
    header = 4 + 4 * dims
    corrupt = f"{path} is not a valid MNIST file"
    advice = "Delete it and download MNIST again (see `cnnkit compare --help`)."
    if len(data) < header:
        raise DataError(f"{corrupt}: only {len(data)} bytes. {advice}")
    found_magic, *shape = struct.unpack(f">{1 + dims}I", data[:header])
    if found_magic != magic:
        raise DataError(f"{corrupt}: magic number {found_magic}, expected {magic}. {advice}")
    expected_shape = [count, 28, 28] if dims == 3 else [count]
    if shape != expected_shape:
        raise DataError(f"{corrupt}: header says shape {shape}, expected {expected_shape}. {advice}")
    expected_size = header + math.prod(shape)
    if len(data) != expected_size:
        raise DataError(
            f"{corrupt}: {len(data)} bytes, expected {expected_size} (truncated or damaged download). {advice}"
        )
    array = np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)
    if dims == 1 and array.max() > 9:
        raise DataError(f"{corrupt}: a label is {int(array.max())}, labels are 0..9. {advice}")
    return array


def load_split(split: str, root: str | os.PathLike | None = None, download: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """One split of the full MNIST as ``(images uint8 (N, 28, 28), labels int64 (N,))``.

    ``split`` is ``"train"`` (60,000 images) or ``"test"`` (10,000).
    """
    files = SPLITS[split]
    raw = ensure_files(root, download=download)
    images = read_idx(_find(raw, files.images), _IMAGES_MAGIC, files.count)  # type: ignore[arg-type]
    labels = read_idx(_find(raw, files.labels), _LABELS_MAGIC, files.count)  # type: ignore[arg-type]
    return torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64))


def load_sample(path: Path = SAMPLE_PATH) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """The embedded, class-stratified sample: ``{"train": (images, labels), "test": (...)}``.

    Images are uint8 ``(N, 28, 28)``, labels int64 ``(N,)``: 2,000 train and 500 test digits
    (200 and 50 per class). Needs no data folder; see ``datasets/README.md``.
    """
    if not path.is_file():
        raise DataError(f"the embedded MNIST sample is missing: {path} (regenerate: python scripts/make_mnist_sample.py)")
    with np.load(path) as archive:
        return {
            split: (
                torch.from_numpy(archive[f"{split}_images"].copy()),
                torch.from_numpy(archive[f"{split}_labels"].astype(np.int64)),
            )
            for split in ("train", "test")
        }


def validation_count(train_images: int) -> int:
    """How many of ``train_images`` the validation split takes: 5,000 of the full 60,000, a tenth of a small set."""
    return VALIDATION_IMAGES if train_images >= 4 * VALIDATION_IMAGES else train_images // 10


def split_validation(
    images: torch.Tensor, labels: torch.Tensor, count: int | None = None
) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
    """``((train images, labels), (validation images, labels))``: the last ``count`` images are held out.

    Fixed, not random: the same images every run, so settings compared on it are compared on the
    same digits. ``count`` defaults to ``validation_count(len(images))``.
    """
    count = validation_count(int(images.shape[0])) if count is None else count
    if not 0 < count < images.shape[0]:
        raise ValueError(f"cannot hold out {count} of {images.shape[0]} images for validation")
    cut = int(images.shape[0]) - count
    return (images[:cut], labels[:cut]), (images[cut:], labels[cut:])


def normalize(images: torch.Tensor) -> torch.Tensor:
    """uint8 ``(N, 28, 28)`` -> float32 ``(N, 1, 28, 28)``: ``(pixel / 255 - 0.1307) / 0.3081``.

    Exactly what the article's ``ToTensor()`` + ``Normalize((0.1307,), (0.3081,))`` computes
    image by image, done once for the whole set.
    """
    return ((images.to(torch.float32) / 255.0 - MNIST_MEAN) / MNIST_STD).unsqueeze(1)


class Batches:
    """In-memory mini-batches over ``(images, labels)``, re-iterable once per epoch.

    ``images`` float ``(N, 1, 28, 28)``, ``labels`` int64 ``(N,)``. Each iteration yields
    ``(images[idx], labels[idx])`` batches of ``batch_size`` (the last one may be smaller).
    With ``shuffle`` the order of epoch ``e`` is a permutation drawn from a hash of ``(seed, e)``: the same seed gives the same batches, run after run, and two seeds share no
    epoch's order (with ``seed + e``, seeds 1 and 2 would train on the same orders, one epoch apart). ``channels_last`` hands out batches in
    that memory format (faster convolutions on CPU). On a CUDA ``device`` the whole set is
    copied over once (through pinned memory, non-blocking) and batches are cut on the GPU.
    Picklable, so a grader can send it into the sandbox worker.
    """

    def __init__(
        self,
        images: torch.Tensor,
        labels: torch.Tensor,
        batch_size: int = 64,
        shuffle: bool = False,
        seed: int = 0,
        channels_last: bool = False,
        device: torch.device | str = "cpu",
    ) -> None:
        if images.shape[0] != labels.shape[0]:
            raise ValueError(f"{images.shape[0]} images but {labels.shape[0]} labels")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        device = torch.device(device)
        if device.type == "cuda":
            images = images.pin_memory().to(device, non_blocking=True)
            labels = labels.pin_memory().to(device, non_blocking=True)
        elif device.type != "cpu":
            images, labels = images.to(device), labels.to(device)
        self.images, self.labels = images, labels
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.channels_last = channels_last
        self.epoch = 0

    def __len__(self) -> int:
        return math.ceil(self.images.shape[0] / self.batch_size)

    @property
    def num_samples(self) -> int:
        return int(self.images.shape[0])

    def _order(self) -> torch.Tensor | None:
        if not self.shuffle:
            return None
        # torch's CPU generator keeps 32 bits of a seed: hash the pair down to them.
        digest = hashlib.sha256(f"{self.seed}:{self.epoch}".encode()).digest()
        generator = torch.Generator().manual_seed(int.from_bytes(digest[:4], "little"))
        return torch.randperm(self.num_samples, generator=generator).to(self.images.device)

    def __iter__(self):
        order = self._order()
        self.epoch += 1
        for start in range(0, self.num_samples, self.batch_size):
            if order is None:
                inputs = self.images[start : start + self.batch_size]
                targets = self.labels[start : start + self.batch_size]
            else:
                index = order[start : start + self.batch_size]
                inputs, targets = self.images.index_select(0, index), self.labels.index_select(0, index)
            if self.channels_last:
                inputs = inputs.contiguous(memory_format=torch.channels_last)
            yield inputs, targets


def sample_batches(batch_size: int = 64, seed: int = 0, test_batch_size: int = 500) -> tuple[Batches, Batches]:
    """``(train, test)`` batches of the embedded sample, normalised; train shuffled from ``seed``."""
    sample = load_sample()
    train_images, train_labels = sample["train"]
    test_images, test_labels = sample["test"]
    train = Batches(normalize(train_images), train_labels, batch_size, shuffle=True, seed=seed)
    test = Batches(normalize(test_images), test_labels, test_batch_size)
    return train, test
