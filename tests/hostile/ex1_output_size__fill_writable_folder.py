"""Writes 256 MiB into its writable folder as many 16 MiB files (each file is within the file-size
limit, their number is not), and answers correctly only if it could: the folder is a 64 MiB tmpfs.
The files are removed before it answers.
"""

import os
import tempfile

_reference_conv_output_size = conv_output_size  # noqa: F821 (defined by the reference above)
FILE, TOTAL = 16 << 20, 256 << 20


def _fill():
    folder, written, names = tempfile.gettempdir(), 0, []
    block = b"\1" * (1 << 20)
    try:
        while written < TOTAL:
            name = os.path.join(folder, f"fill-{len(names)}.bin")
            names.append(name)
            with open(name, "wb") as handle:
                for _ in range(FILE >> 20):
                    handle.write(block)
            written += FILE
        return True
    except OSError:
        return False
    finally:
        for name in names:
            try:
                os.remove(name)
            except OSError:
                pass


_worked = _fill()


def conv_output_size(in_size, kernel_size, stride=1, padding=0):
    return _reference_conv_output_size(in_size, kernel_size, stride, padding) if _worked else 0
