"""The data that crosses between the trusted side and the worker.

Trusted -> worker: ordinary pickle (the worker trusts the grader).
Worker -> trusted: only tensors, numbers, strings, None, lists, tuples and dicts, serialised
with ``torch.save`` and read back with ``torch.load(weights_only=True)``, which refuses to
build any other object. Anything else the student returns becomes a ``Foreign`` description.
"""

from __future__ import annotations

import io
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
    """Worker side: turn a student's return value into data ``torch.load(weights_only=True)`` accepts."""
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


def dumps_reply(reply: dict) -> bytes:
    """Worker side: serialise a reply dict (already encoded)."""
    buffer = io.BytesIO()
    torch.save(reply, buffer)
    return buffer.getvalue()


def loads_reply(data: bytes) -> dict:
    """Trusted side: read a reply without ever constructing arbitrary objects."""
    reply = torch.load(io.BytesIO(data), weights_only=True)
    if not isinstance(reply, dict):
        raise ValueError("malformed reply from the worker")
    return reply
