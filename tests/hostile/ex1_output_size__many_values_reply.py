"""Answers correctly, but replaces the worker's reply writer: every reply, in the kit's own format, also
carries a list of 1.2 million Nones (1.2 MB on the wire, well under the reply size limit, and about
10 MB of references once built in the trusted process; fifty times that, still under the size limit,
would take half a gigabyte).

The grader bounds the values one reply may decode to (Limits.reply_values): refused, with a message.
"""

import struct

from cnnkit.sandbox import wire

_reference_conv_output_size = conv_output_size  # noqa: F821 (defined by the reference above)
_COUNT = 1_200_000
_JUNK = b"s" + struct.pack("<I", 4) + b"junk" + b"l" + struct.pack("<I", _COUNT) + b"N" * _COUNT
_write = wire.dumps_reply


def _many_values_reply(reply):
    data = _write(reply)  # a dict: "CKW1" "d" <count> then its pairs; one more pair is appended
    (count,) = struct.unpack_from("<I", data, 5)
    return data[:5] + struct.pack("<I", count + 1) + data[9:] + _JUNK


wire.dumps_reply = _many_values_reply


def conv_output_size(in_size, kernel_size, stride=1, padding=0):
    return _reference_conv_output_size(in_size, kernel_size, stride, padding)
