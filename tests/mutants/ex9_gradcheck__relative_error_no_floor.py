"""No floor under |a| + |b|: entries where both are 0 give 0/0 = nan."""


def relative_error(a, b):
    return float(((a - b).abs() / (a.abs() + b.abs())).max())
