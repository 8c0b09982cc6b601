"""Writes the shifted batch back into images (the caller's batch changes)."""

_reference_random_shift = random_shift


def random_shift(images, max_shift, generator=None, fill=0.0):
    shifted = _reference_random_shift(images, max_shift, generator, fill)
    images.copy_(shifted)
    return images
