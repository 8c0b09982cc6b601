"""Draws one offset for the whole batch instead of one per image."""


def random_shift(images, max_shift, generator=None, fill=0.0):
    _, _, height, width = images.shape
    dy, dx = torch.randint(-max_shift, max_shift + 1, (2,), generator=generator).tolist()
    out = torch.full_like(images, fill)
    out[:, :, max(dy, 0):height + min(dy, 0), max(dx, 0):width + min(dx, 0)] = \
        images[:, :, max(-dy, 0):height - max(dy, 0), max(-dx, 0):width - max(dx, 0)]
    return out
