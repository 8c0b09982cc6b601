"""torch.roll: the pixels moved past one edge come back in at the other, instead of fill."""


def random_shift(images, max_shift, generator=None, fill=0.0):
    offsets = torch.randint(-max_shift, max_shift + 1, (images.shape[0], 2), generator=generator)
    return torch.stack([torch.roll(image, (int(dy), int(dx)), dims=(-2, -1)) for image, (dy, dx) in zip(images, offsets)])
