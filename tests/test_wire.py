"""The worker's replies: the binary format carries every value the grader reads back exactly, and
malformed or hostile bytes (the worker is the student's) are refused, never turned into other
objects, never inflated, never more values than the bound, and no size is trusted before it is checked."""

from __future__ import annotations

import io
import math
import pickle
import random
import struct
import zipfile

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


def test_a_dtype_outside_the_format_is_described_on_the_worker_side():
    value = wire.encode(torch.zeros(2, 3, dtype=torch.uint16))
    data = wire.dumps_reply({"ok": True, "value": value})
    got = wire.decode(wire.loads_reply(data)["value"])
    assert isinstance(got, wire.Foreign) and got.shape == (2, 3) and got.dtype == "torch.uint16"


def test_a_value_the_format_does_not_carry_is_a_type_error_for_the_worker():
    with pytest.raises(TypeError):
        wire.dumps_reply({"ok": True, "value": object()})


def _torch_save(value: object, compress: bool = False) -> bytes:
    buffer = io.BytesIO()
    torch.save(value, buffer)
    if not compress:
        return buffer.getvalue()
    packed = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            target.writestr(entry.filename, source.read(entry.filename))
    return packed.getvalue()


def test_only_the_kits_format_is_read():
    """A pickle, a torch.save file, a compressed one (1 KB on the wire, 4 MB once inflated) and one of shared
    references (2**20 paths through a few hundred bytes) are all refused before anything is built from them."""
    class Evil:
        def __reduce__(self):
            return (print, ("ran",))

    nested: list = [0]
    for _ in range(20):
        nested = [nested, nested]
    hostile = {
        "pickle": pickle.dumps({"ok": True, "value": Evil()}, protocol=2),
        "torch.save": _torch_save({"ok": True, "value": 1}),
        "compressed": _torch_save({"ok": True, "value": torch.zeros(1 << 20)}, compress=True),
        "shared references": _torch_save({"ok": True, "value": nested}),
    }
    assert len(hostile["compressed"]) < 64 << 10 and len(hostile["shared references"]) < 4 << 10
    for name, data in hostile.items():
        with pytest.raises(ValueError, match="not a reply in the kit's format"):
            wire.loads_reply(data)


def test_a_reply_decodes_to_at_most_its_bound_of_values():
    reply = {"ok": True, "value": [None] * 1000}
    data = wire.dumps_reply(reply)
    assert wire.loads_reply(data, max_values=1003) == reply  # the dict, True, the list, its items
    with pytest.raises(ValueError, match="more values"):
        wire.loads_reply(data, max_values=1002)
    many = wire._MAGIC + b"d" + struct.pack("<I", 1) + b"s" + struct.pack("<I", 1) + b"v" + b"l" \
        + struct.pack("<I", 3_000_000) + b"N" * 3_000_000  # 3 MB on the wire
    with pytest.raises(ValueError, match="more values"):
        wire.loads_reply(many)  # the default bound: refused before 3 million references are built


def test_every_size_is_checked_before_anything_is_allocated():
    """Headers that claim more than the reply holds: refused at once (no 2**62-element tensor, no 4 GB list)."""
    shape = struct.pack("<4q", 1 << 20, 1 << 20, 1 << 20, 1 << 2)
    tensor = wire._MAGIC + b"X" + bytes([7]) + b"float32" + bytes([4]) + shape + bytes(range(4)) + struct.pack("<Q", 16)
    forged = {
        "huge tensor": tensor,
        "long text": wire._MAGIC + b"s" + struct.pack("<I", 2**32 - 1) + b"x",
        "long list": wire._MAGIC + b"l" + struct.pack("<I", 2**32 - 1),
        "long integer": wire._MAGIC + b"I" + struct.pack("<I", 5000) + b"9" * 5000,
        "deep": wire._MAGIC + b"l\x01\x00\x00\x00" * 100 + b"N",
    }
    for name, data in forged.items():
        with pytest.raises(ValueError):
            wire.loads_reply(data)


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
