"""Computes the right answer, then scales its input x in place."""

_reference_conv2d = conv2d  # noqa: F821 (defined by the reference above)


def conv2d(x, weight, bias=None, stride=1, padding=0):
    out = _reference_conv2d(x, weight, bias, stride, padding)
    x.mul_(2)
    return out
