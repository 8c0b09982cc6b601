"""random_shift with F.affine_grid and F.grid_sample (nearest pixel): a translation of the batch minus fill, which
grid_sample pads with zeros, plus fill again."""


def random_shift(images, max_shift, generator=None, fill=0.0):
    n, _, h, w = images.shape
    shifts = torch.randint(-max_shift, max_shift + 1, (n, 2), generator=generator).to(images.dtype)
    theta = torch.zeros(n, 2, 3, dtype=images.dtype)
    theta[:, 0, 0] = 1.0
    theta[:, 1, 1] = 1.0
    theta[:, 0, 2] = -2.0 * shifts[:, 1] / w  # x: sample the input at x - dx (normalised, align_corners=False)
    theta[:, 1, 2] = -2.0 * shifts[:, 0] / h
    grid = torch.nn.functional.affine_grid(theta.to(images.device), list(images.shape), align_corners=False)
    moved = torch.nn.functional.grid_sample(images - fill, grid, mode="nearest", padding_mode="zeros",
                                            align_corners=False)
    return moved + fill
