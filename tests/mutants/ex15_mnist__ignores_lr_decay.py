"""Ignores lr_decay: every epoch trains at the initial learning rate (the article's constant rate).

Written as the reference minus that one argument: the override is appended to the reference
module, so ``compare_models`` still names the reference here.
"""

_reference_compare_models = compare_models


def compare_models(*args, lr_decay=1.0, **kwargs):
    return _reference_compare_models(*args, **kwargs)
