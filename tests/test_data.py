"""The MNIST data layer: root resolution, file verification, offline message, sample, batches."""

from __future__ import annotations

import gzip
import os
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import write_idx

from cnnkit.mnist import data

REAL_ROOT = os.environ.get(data.ENV_VAR)


def fake_mnist(root: Path, count: dict[str, int] | None = None, compress: bool = False) -> Path:
    """A tiny MNIST in torchvision's layout whose headers claim the real counts unless ``count``."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for split, files in data.SPLITS.items():
        n = (count or {}).get(split, files.count)
        rng = np.random.default_rng(0)
        write_idx(raw / files.images, rng.integers(0, 256, (n, 28, 28)), 2051)
        write_idx(raw / files.labels, rng.integers(0, 10, (n,)), 2049)
        if compress:
            for name in (files.images, files.labels):
                with open(raw / name, "rb") as src, gzip.open(raw / f"{name}.gz", "wb") as dst:
                    shutil.copyfileobj(src, dst)
                (raw / name).unlink()
    return raw


def test_root_argument_then_env_then_default(monkeypatch, tmp_path):
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path / "env"))
    assert data.resolve_root(tmp_path / "arg") == tmp_path / "arg"
    assert data.resolve_root() == tmp_path / "env"
    monkeypatch.delenv(data.ENV_VAR)
    assert data.resolve_root() == data.DEFAULT_ROOT


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gz"])
def test_loads_verified_files(tmp_path, compress):
    fake_mnist(tmp_path, compress=compress)
    images, labels = data.load_split("test", tmp_path, download=False)
    assert images.shape == (10_000, 28, 28) and images.dtype == torch.uint8
    assert labels.shape == (10_000,) and labels.dtype == torch.int64 and int(labels.max()) <= 9


def test_truncated_file_is_reported(tmp_path):
    raw = fake_mnist(tmp_path)
    path = raw / "t10k-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-1000])
    with pytest.raises(data.DataError, match=r"t10k-images-idx3-ubyte.*truncated"):
        data.load_split("test", tmp_path, download=False)


def test_wrong_magic_is_reported(tmp_path):
    raw = fake_mnist(tmp_path)
    path = raw / "t10k-labels-idx1-ubyte"
    path.write_bytes(struct.pack(">I", 1234) + path.read_bytes()[4:])
    with pytest.raises(data.DataError, match="magic number 1234, expected 2049"):
        data.load_split("test", tmp_path, download=False)


def test_offline_without_files_says_where_and_how(monkeypatch, tmp_path):
    def no_network(root: Path) -> None:
        raise OSError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(data, "_download", no_network)
    with pytest.raises(data.DataError) as error:
        data.load_split("train", tmp_path)
    message = str(error.value)
    assert str(tmp_path / "MNIST" / "raw") in message
    assert "train-images-idx3-ubyte" in message and "name resolution" in message
    assert "--data" in message and data.ENV_VAR in message


def test_embedded_sample_is_stratified_and_small():
    assert data.SAMPLE_PATH.stat().st_size < 2_000_000
    sample = data.load_sample()
    for split, per_class in (("train", 200), ("test", 50)):
        images, labels = sample[split]
        assert images.shape == (10 * per_class, 28, 28) and images.dtype == torch.uint8
        assert labels.bincount(minlength=10).tolist() == [per_class] * 10
        assert 0.10 < images.float().mean().item() / 255 < 0.16  # MNIST's mean pixel is 0.1307


def test_normalize_matches_the_article_transform():
    from torchvision import transforms

    images = data.load_sample()["test"][0][:4]
    article = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    expected = torch.stack([article(image.numpy()) for image in images])
    torch.testing.assert_close(data.normalize(images), expected)


def test_batches_cover_every_sample_reproducibly():
    images, labels = torch.arange(10.0).reshape(10, 1, 1, 1), torch.arange(10)
    batches = data.Batches(images, labels, batch_size=4, shuffle=True, seed=7)
    first = [targets.tolist() for _, targets in batches]
    second = [targets.tolist() for _, targets in batches]
    assert [len(b) for b in first] == [4, 4, 2] and len(batches) == 3
    assert sorted(sum(first, [])) == list(range(10)) and first != second  # a new order per epoch
    replay = data.Batches(images, labels, batch_size=4, shuffle=True, seed=7)
    assert [targets.tolist() for _, targets in replay] == first
    for inputs, targets in data.Batches(images, labels, batch_size=3, shuffle=True, seed=1):
        assert torch.equal(inputs.flatten().long(), targets)  # images stay with their labels


def test_neighbouring_seeds_share_no_epoch_order():
    """Seed 1's second epoch is not seed 2's first (an order drawn from ``seed + epoch`` would be)."""
    images, labels = torch.zeros(64, 1, 1, 1), torch.arange(64)

    def orders(seed: int) -> list[list[int]]:
        batches = data.Batches(images, labels, batch_size=64, shuffle=True, seed=seed)
        return [next(iter(batches))[1].tolist() for _ in range(3)]

    one, two = orders(1), orders(2)
    assert not any(order in two for order in one)


@pytest.mark.slow
@pytest.mark.skipif(not REAL_ROOT, reason=f"set {data.ENV_VAR} to the folder holding MNIST/raw")
def test_real_mnist_loads():
    images, labels = data.load_split("train", REAL_ROOT, download=False)
    assert images.shape == (60_000, 28, 28)
    assert labels.bincount().tolist()[:2] == [5923, 6742]
