"""The worker's replies: the binary format carries every value the grader reads back exactly, and
malformed bytes (the worker is the student's) are refused, never turned into other objects."""

from __future__ import annotations

import io
import math
import pickle
import random
import struct

import pytest
import torch

from cnnkit.sandbox import wire


def same(sent: object, got: object) -> None:
    assert type(got) is type(sent), (sent, got)
    if isinstance(sent, torch.Tensor):
        assert got.dtype == sent.dtype and got.shape == sent.shape
        assert torch.equal(got.isnan(), sent.isnan()) if sent.is_floating_point() else True
        assert torch.equal(got.nan_to_num(), sent.nan_to_num()) if sent.is_floating_point() else torch.equal(got, sent)
        dense = [d for d in range(sent.dim()) if sent.shape[d] > 1]
        assert [got.stride(d) for d in dense] == [sent.stride(d) for d in dense]  # the layout, as torch.save keeps it
    elif isinstance(sent, dict):
        assert list(got) == list(sent)
        for key in sent:
            same(sent[key], got[key])
    elif isinstance(sent, (list, tuple)):
        assert len(got) == len(sent)
        for a, b in zip(sent, got):
            same(a, b)
    elif isinstance(sent, float) and math.isnan(sent):
        assert math.isnan(got)
    else:
        assert got == sent


X = torch.randn(2, 3, 4, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
TENSORS = {
    "contiguous": X,
    "channels_last": X.to(memory_format=torch.channels_last),
    "transposed": X[0, 0].t(),
    "scalar": torch.tensor(3.5),
    "empty": torch.zeros(0, 3),
    "bool": torch.tensor([True, False, True]),
    "int64": torch.arange(-3, 3),
    "bfloat16": torch.randn(3).to(torch.bfloat16),
    "complex": torch.randn(2, dtype=torch.complex64),
    "conjugated": torch.randn(2, 2, dtype=torch.complex128).conj(),
    "nan_inf": torch.tensor([float("nan"), float("inf"), -0.0]),
    "expanded": torch.randn(3).expand(2, 3),
    "one_element_strided": torch.randn(1, 1, 2, 2)[..., ::2, ::2],  # strides (4, 4, 4, 2), "contiguous"
    "subsampled": X[..., ::2, ::3],
}


@pytest.mark.parametrize("name", TENSORS)
def test_tensors_arrive_with_dtype_shape_values_and_layout(name: str):
    value = wire.encode(TENSORS[name])
    reply = {"ok": True, "value": value, "grads": {"x": value}, "mutated": []}
    data = wire.dumps_reply(reply)
    assert data.startswith(wire._MAGIC)
    same(reply, wire.loads_reply(data))


def test_plain_data_arrives_as_sent():
    reply = {"ok": True, "value": [1, -(2**63), 2**70, 1.5, float("nan"), "é", None, True, False,
                                   (1, (2, [3])), {"a": {"b": []}}]}  # fmt: skip
    same(reply, wire.loads_reply(wire.dumps_reply(reply)))


def test_a_dtype_outside_the_format_goes_through_torch_save():
    reply = {"ok": True, "value": torch.zeros(2, dtype=torch.uint16)}
    data = wire.dumps_reply(reply)
    assert not data.startswith(wire._MAGIC)
    same(reply, wire.loads_reply(data))


def test_a_pickled_object_is_refused():
    class Evil:
        def __reduce__(self):
            return (print, ("ran",))

    buffer = io.BytesIO()
    pickle.dump({"ok": True, "value": Evil()}, buffer, protocol=2)
    with pytest.raises(Exception):  # noqa: B017 - torch.load(weights_only=True) refuses; the client reports a crash
        wire.loads_reply(buffer.getvalue())


def test_malformed_bytes_raise_and_build_nothing_else():
    good = wire.dumps_reply({"ok": True, "value": X, "extra": [1, "a", {"k": 2.0}]})
    rng = random.Random(0)
    for _ in range(2000):
        data = bytearray(good)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(wire._MAGIC), len(data))] = rng.randrange(256)
        if rng.random() < 0.3:
            data = data[: rng.randrange(len(wire._MAGIC), len(data))]
        try:
            reply = wire.loads_reply(bytes(data))
        except (ValueError, struct.error, UnicodeDecodeError):
            continue
        assert isinstance(reply, dict)
    for forged in (wire._MAGIC + b"l" + struct.pack("<I", 2**31), wire._MAGIC + b"l" * 100 + struct.pack("<I", 1),
                   wire._MAGIC + b"Q", wire._MAGIC + b"N" + b"extra"):  # fmt: skip
        with pytest.raises(ValueError):
            wire.loads_reply(forged)
