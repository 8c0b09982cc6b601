"""The mask from torch.empty_like(x).uniform_(generator=...), scaled with mul/div."""


def dropout(x, p=0.5, training=True, generator=None):
    if not 0.0 <= p <= 1.0:
        raise ValueError("dropout probability has to be between 0 and 1, but got " + str(p))
    if training is False:
        return x.clone()
    keep_prob = 1.0 - p
    if keep_prob == 0.0:
        return x * 0.0
    noise = torch.empty_like(x).uniform_(0, 1, generator=generator)
    mask = noise < keep_prob
    return x.mul(mask).div(keep_prob)
