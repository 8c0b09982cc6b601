"""Creates 8,000 empty files in its writable folder (no byte limit helps against inodes), and answers
correctly only if it could: the folder's tmpfs has 4,096 inodes. (os.mknod: no audit event per file,
so that creating them fits in the call's time limit.)
"""

import os
import tempfile

_reference_conv_output_size = conv_output_size  # noqa: F821 (defined by the reference above)
COUNT = 8_000


def _create():
    try:
        folder = tempfile.mkdtemp()
        for index in range(COUNT):
            os.mknod(os.path.join(folder, str(index)))
        return True
    except OSError:
        return False


_worked = _create()


def conv_output_size(in_size, kernel_size, stride=1, padding=0):
    return _reference_conv_output_size(in_size, kernel_size, stride, padding) if _worked else 0
