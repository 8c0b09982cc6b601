"""The data that crosses between the trusted side and the worker.

Trusted -> worker: ordinary pickle (the worker trusts the grader).
Worker -> trusted: only tensors, numbers, strings, None, lists, tuples and dicts. Anything else
the student returns (a numpy array, a module, a tensor of a dtype the format does not carry)
becomes a ``Foreign`` description, on the worker's side. A reply travels in the kit's own tagged
binary format and nothing else (``_Writer``/``_Reader``: a type tag, then the value; a tensor as
its dtype, shape, memory order and raw bytes). The worker is the student's, so the trusted side
reads it as hostile input, within bounds fixed before it allocates anything: the reply's size is
checked against ``Limits.reply_bytes`` before it is read (``cnnkit.sandbox.client``), every
length inside it against the bytes that are left, and the number of values built against
``Limits.reply_values``. Every value is spelled out in the bytes (no compression, no references
to values seen before), so what a reply decodes to is at most its own size in tensor and text
bytes plus a bounded number of small objects: a hostile reply fails its test with a message, and
cannot exhaust the grading process's memory or time.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import torch

MAX_ELEMENTS = 20_000_000  # a returned tensor larger than this is described, not sent
MAX_ITEMS = 10_000  # longest list/dict sent back
MAX_DEPTH = 6


@dataclass(frozen=True)
class GeneratorSeed:
    """Sent in place of a ``torch.Generator``: the worker passes ``Generator().manual_seed(seed)``."""

    seed: int


@dataclass(frozen=True)
class Foreign:
    """Something the student returned that is not plain data (a numpy array, a module, ...)."""

    type_name: str
    detail: str = ""
    shape: tuple[int, ...] | None = None
    dtype: str | None = None
    device: str | None = None

    def describe(self) -> str:
        parts = [self.type_name]
        if self.shape is not None:
            parts.append(f"shape {self.shape}")
        if self.dtype:
            parts.append(f"dtype {self.dtype}")
        if self.device:
            parts.append(f"device {self.device}")
        if self.detail:
            parts.append(self.detail)
        return ", ".join(parts)


_FOREIGN_KEY = "__cnnkit_foreign__"


def _type_name(value: Any) -> str:
    kind = type(value)
    module = getattr(kind, "__module__", "") or ""
    return kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}"


def _foreign(value: Any, detail: str = "", **fields: Any) -> dict:
    return {_FOREIGN_KEY: _type_name(value), "detail": detail[:200], **fields}


def encode(value: Any, depth: int = 0) -> Any:
    """Worker side: turn a student's return value into data the reply format carries (``Foreign`` for the rest)."""
    if depth > MAX_DEPTH:
        return _foreign(value, "nested too deeply")
    if isinstance(value, torch.Tensor):
        return _encode_tensor(value)
    if value is None or isinstance(value, (bool, int, str)):
        return value if not isinstance(value, str) else value[:10_000]
    if isinstance(value, float):
        return value
    if isinstance(value, (list, tuple)):
        if len(value) > MAX_ITEMS:
            return _foreign(value, f"{len(value)} items")
        items = [encode(item, depth + 1) for item in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        if len(value) > MAX_ITEMS:
            return _foreign(value, f"{len(value)} items")
        return {str(key): encode(item, depth + 1) for key, item in value.items()}
    shape = getattr(value, "shape", None)
    fields: dict[str, Any] = {}
    if isinstance(shape, tuple) and all(isinstance(n, int) for n in shape):
        fields["shape"] = shape
        fields["dtype"] = str(getattr(value, "dtype", ""))
    return _foreign(value, **fields)


def _encode_tensor(tensor: torch.Tensor) -> Any:
    plain = tensor.as_subclass(torch.Tensor) if type(tensor) is not torch.Tensor else tensor
    shape = tuple(int(n) for n in plain.shape)
    if plain.device.type != "cpu" or plain.is_sparse or plain.layout != torch.strided:
        return _foreign(plain, shape=shape, dtype=str(plain.dtype), device=str(plain.device))
    if str(plain.dtype).removeprefix("torch.") not in _DTYPES:
        return _foreign(plain, "a dtype the grader does not read back", shape=shape, dtype=str(plain.dtype))
    if plain.numel() > MAX_ELEMENTS:
        return _foreign(plain, f"{plain.numel()} elements, too large to check", shape=shape, dtype=str(plain.dtype))
    return plain.detach().clone()


def decode(value: Any) -> Any:
    """Trusted side: rebuild ``Foreign`` descriptions inside a decoded structure."""
    if isinstance(value, dict):
        if _FOREIGN_KEY in value:
            shape = value.get("shape")
            return Foreign(
                type_name=str(value[_FOREIGN_KEY]),
                detail=str(value.get("detail", "")),
                shape=tuple(shape) if shape is not None else None,
                dtype=value.get("dtype") or None,
                device=value.get("device") or None,
            )
        return {key: decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [decode(item) for item in value]
    if isinstance(value, tuple):
        return tuple(decode(item) for item in value)
    return value


#: The tensor element types the binary format carries (a tensor of another becomes a ``Foreign``).
_DTYPES: dict[str, torch.dtype] = {
    str(dtype).removeprefix("torch."): dtype
    for dtype in (torch.float64, torch.float32, torch.float16, torch.bfloat16, torch.complex64, torch.complex128,
                  torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8, torch.bool)
}  # fmt: skip
_MAGIC = b"CKW1"
_MAX_NESTING = 32  # containers within containers in one reply (encode stops at MAX_DEPTH)
_MAX_DIMS = 16
_MAX_DIGITS = 1000  # an integer beyond int64 travels as decimal text: at most this long
#: Values one reply may decode to when the caller names no bound (the client passes ``Limits.reply_values``).
DEFAULT_MAX_VALUES = 1_000_000


class _Unsupported(TypeError):
    """A value the binary format does not carry (``encode`` describes those; anything else is a bug
    or the student's doing: the worker answers with an error instead)."""


class _Writer:
    """Worker side: a reply as tagged bytes (see ``_Reader`` for the grammar)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = [_MAGIC]

    def value(self, value: Any, depth: int = 0) -> None:
        if depth > _MAX_NESTING:
            raise _Unsupported("nested too deeply")
        add = self.parts.append
        if value is None:
            add(b"N")
        elif isinstance(value, bool):
            add(b"T" if value else b"F")
        elif isinstance(value, int):
            number = int(value)
            if -(2**63) <= number < 2**63:
                add(b"i" + struct.pack("<q", number))
            else:
                self._text(b"I", str(number))
        elif isinstance(value, float):
            add(b"f" + struct.pack("<d", float(value)))
        elif isinstance(value, str):
            self._text(b"s", str.__str__(value))
        elif isinstance(value, (list, tuple)):
            add((b"l" if isinstance(value, list) else b"t") + struct.pack("<I", len(value)))
            for item in value:
                self.value(item, depth + 1)
        elif isinstance(value, dict):
            add(b"d" + struct.pack("<I", len(value)))
            for key, item in value.items():
                if not isinstance(key, str):
                    raise _Unsupported("a dict key that is not a string")
                self._text(b"s", str.__str__(key))
                self.value(item, depth + 1)
        elif type(value) is torch.Tensor:
            self._tensor(value)
        else:
            raise _Unsupported(type(value).__name__)

    def _text(self, tag: bytes, text: str) -> None:
        data = text.encode("utf-8", "surrogatepass")
        self.parts.append(tag + struct.pack("<I", len(data)) + data)

    def _tensor(self, tensor: torch.Tensor) -> None:
        name = str(tensor.dtype).removeprefix("torch.")
        if name not in _DTYPES or tensor.device.type != "cpu" or tensor.layout != torch.strided or tensor.dim() > _MAX_DIMS:
            raise _Unsupported(f"tensor of {tensor.dtype}")
        tensor = tensor.detach().resolve_conj().resolve_neg()
        # Memory order: the dimensions by decreasing stride, so that a dense layout (channels-last, a
        # transposed view) arrives as it was sent, as ``torch.save`` keeps it; anything else as contiguous.
        order = sorted(range(tensor.dim()), key=lambda d: -tensor.stride(d))
        laid = tensor.permute(order)
        if not laid.is_contiguous():
            order, laid = list(range(tensor.dim())), tensor.contiguous()
        flat = laid.reshape(-1)
        if flat.stride(0) != 1:  # a dense tensor whose sizes are all 1 may keep any stride
            flat = flat.clone(memory_format=torch.contiguous_format)
        raw = flat.view(torch.uint8).numpy().tobytes() if tensor.numel() else b""
        header = struct.pack("<B", len(name)) + name.encode() + struct.pack("<B", tensor.dim())
        header += struct.pack(f"<{tensor.dim()}q", *tensor.shape) + bytes(order) + struct.pack("<Q", len(raw))
        self.parts += [b"X" + header, raw]


class _Reader:
    """Trusted side: parse the tagged bytes of ``_Writer``, building only plain data and tensors.

    ``N`` None, ``T``/``F`` booleans, ``i`` int64, ``I`` a longer int in decimal, ``f`` float64,
    ``s`` UTF-8 text, ``l``/``t`` a list/tuple of n values, ``d`` n (text key, value) pairs, ``X``
    a tensor (dtype name, dims, shape, memory order, bytes). Lengths are checked against what is
    left, dtypes against ``_DTYPES``, sizes against the shape, the values built against
    ``max_values``, all before anything is allocated: malformed bytes raise ``ValueError``.
    """

    def __init__(self, data: bytes | bytearray | memoryview, max_values: int = DEFAULT_MAX_VALUES) -> None:
        self.data = memoryview(data).cast("B")
        self.at = len(_MAGIC)
        self.values_left = max_values

    def take(self, size: int) -> memoryview:
        if size < 0 or self.at + size > len(self.data):
            raise ValueError("truncated reply")
        chunk = self.data[self.at : self.at + size]
        self.at += size
        return chunk

    def unpack(self, fmt: str) -> tuple:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))

    def text(self) -> str:
        (size,) = self.unpack("<I")
        return bytes(self.take(size)).decode("utf-8", "surrogatepass")

    def count(self) -> int:
        (size,) = self.unpack("<I")
        if size > len(self.data) - self.at:  # every item takes at least one byte
            raise ValueError("a container longer than the reply")
        if size > self.values_left:  # refused before its items are read, not after
            raise ValueError("more values than a reply may hold")
        return size

    def value(self, depth: int = 0) -> Any:
        if depth > _MAX_NESTING:
            raise ValueError("nested too deeply")
        self.values_left -= 1
        if self.values_left < 0:
            raise ValueError("more values than a reply may hold")
        tag = bytes(self.take(1))
        simple = {b"N": None, b"T": True, b"F": False}
        if tag in simple:
            return simple[tag]
        if tag == b"i":
            return self.unpack("<q")[0]
        if tag == b"I":
            digits = self.text()
            if len(digits) > _MAX_DIGITS:
                raise ValueError("an integer too long to read")
            return int(digits)
        if tag == b"f":
            return self.unpack("<d")[0]
        if tag == b"s":
            return self.text()
        if tag in (b"l", b"t"):
            items = [self.value(depth + 1) for _ in range(self.count())]
            return items if tag == b"l" else tuple(items)
        if tag == b"d":
            pairs = {}
            for _ in range(self.count()):
                if bytes(self.take(1)) != b"s":
                    raise ValueError("a dict key that is not text")
                key = self.text()
                pairs[key] = self.value(depth + 1)
            return pairs
        if tag == b"X":
            return self.tensor()
        raise ValueError(f"unknown tag {tag!r}")

    def tensor(self) -> torch.Tensor:
        (length,) = self.unpack("<B")
        dtype = _DTYPES.get(bytes(self.take(length)).decode("ascii", "replace"))
        (dims,) = self.unpack("<B")
        if dtype is None or dims > _MAX_DIMS:
            raise ValueError("a tensor of an unknown dtype or too many dimensions")
        shape = self.unpack(f"<{dims}q")
        order = list(bytes(self.take(dims)))
        (size,) = self.unpack("<Q")
        if sorted(order) != list(range(dims)) or any(n < 0 for n in shape):
            raise ValueError("a malformed tensor header")
        numel = 1
        for n in shape:
            numel *= n
        itemsize = torch.empty((), dtype=dtype).element_size()
        if numel > MAX_ELEMENTS or size != numel * itemsize:
            raise ValueError("a tensor whose bytes do not match its shape")
        raw = self.take(size)
        laid_shape = [shape[d] for d in order]
        if numel == 0:
            laid = torch.empty(laid_shape, dtype=dtype)
        else:
            laid = torch.frombuffer(bytearray(raw), dtype=torch.uint8).view(dtype).reshape(laid_shape)
        inverse = sorted(range(dims), key=order.__getitem__)
        return laid.permute(inverse)


def dumps_reply(reply: dict) -> bytes:
    """Worker side: serialise a reply dict (already encoded). ``TypeError`` for a value the format
    does not carry (``encode`` never leaves one): the worker then answers with an error."""
    writer = _Writer()
    writer.value(reply)
    return b"".join(writer.parts)


def loads_reply(data: bytes | bytearray | memoryview, max_values: int = DEFAULT_MAX_VALUES) -> dict:
    """Trusted side: read a reply in the kit's format, never constructing arbitrary objects, building
    at most ``max_values`` values; ``ValueError`` for anything else (another format, malformed bytes)."""
    view = memoryview(data).cast("B")
    if bytes(view[: len(_MAGIC)]) != _MAGIC:
        raise ValueError("not a reply in the kit's format")
    reader = _Reader(view, max_values)
    reply = reader.value()
    if reader.at != len(view):
        raise ValueError("trailing bytes after the reply")
    if not isinstance(reply, dict):
        raise ValueError("malformed reply from the worker")
    return reply
