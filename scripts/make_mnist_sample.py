"""Make the embedded MNIST sample ``datasets/mnist_sample.npz`` from the real MNIST files.

Draws, with a fixed seed, the same number of digits of every class (stratified): by default
200 per class from the training set and 50 per class from the test set (2,000 + 500 images),
shuffles them, and stores uint8 images and labels, compressed. Re-running it with the same
MNIST files and arguments gives the same sample.

    python scripts/make_mnist_sample.py --data /path/to/root   # root holding MNIST/raw/
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from cnnkit.mnist.data import SAMPLE_PATH, load_split


def stratified_indices(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    """``per_class`` indices of each class 0..9, drawn without replacement, then shuffled."""
    chosen = [rng.choice(np.flatnonzero(labels == digit), per_class, replace=False) for digit in range(10)]
    indices = np.concatenate(chosen)
    rng.shuffle(indices)
    return indices


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="MNIST root (default: $CNNKIT_DATA or ~/.cache/cnnkit)")
    parser.add_argument("--train-per-class", type=int, default=200)
    parser.add_argument("--test-per-class", type=int, default=50)
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--out", type=Path, default=SAMPLE_PATH)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    arrays: dict[str, np.ndarray] = {}
    for split, per_class in (("train", args.train_per_class), ("test", args.test_per_class)):
        images, labels = load_split(split, args.data, download=False)
        picked = stratified_indices(labels.numpy(), per_class, rng)
        arrays[f"{split}_images"] = images.numpy()[picked]
        arrays[f"{split}_labels"] = labels.numpy()[picked].astype(np.uint8)
        arrays[f"{split}_source_indices"] = picked.astype(np.int32)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
