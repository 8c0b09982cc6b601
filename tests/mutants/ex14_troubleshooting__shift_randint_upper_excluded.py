"""torch.randint(-m, m): the upper end is excluded, so an offset of +max_shift never comes up."""


def random_shift(images, max_shift, generator=None, fill=0.0):
    batch, _, height, width = images.shape
    offsets = torch.randint(-max_shift, max_shift, (2, batch), generator=generator) if max_shift else \
        torch.zeros(2, batch, dtype=torch.long)
    out = torch.full_like(images, fill)
    for n in range(batch):
        dy, dx = int(offsets[0, n]), int(offsets[1, n])
        out[n, :, max(dy, 0):height + min(dy, 0), max(dx, 0):width + min(dx, 0)] = \
            images[n, :, max(-dy, 0):height - max(dy, 0), max(-dx, 0):width - max(dx, 0)]
    return out
