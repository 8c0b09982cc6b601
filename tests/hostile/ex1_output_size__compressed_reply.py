"""Answers correctly, but replaces the worker's reply writer: every reply also carries 16 MiB of
zeros, sent as a torch.save zip whose entries are deflate-compressed (about 16 KiB on the wire).

The grader used to fall back to torch.load(weights_only=True), which inflates the entries in the
trusted process (a 512 MiB tensor there from a 0.5 MiB reply; larger ones got it OOM-killed). It
now reads only its own format: each reply is refused with a message, and the report is complete.
"""

import io
import zipfile

import torch

from cnnkit.sandbox import wire

_reference_conv_output_size = conv_output_size  # noqa: F821 (defined by the reference above)
_JUNK = torch.zeros(1 << 22)  # 16 MiB of float32


def _compressed_reply(reply):
    plain = io.BytesIO()
    torch.save({**reply, "junk": _JUNK}, plain)
    packed = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            target.writestr(entry.filename, source.read(entry.filename))
    return packed.getvalue()


wire.dumps_reply = _compressed_reply


def conv_output_size(in_size, kernel_size, stride=1, padding=0):
    return _reference_conv_output_size(in_size, kernel_size, stride, padding)
