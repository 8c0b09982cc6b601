"""Ignores make_optimizer: always builds its own Adam, so the kit's (or grader's) optimizer is never used.

Written as the reference minus that one argument: the override is appended to the reference
module, so ``compare_models`` still names the reference here.
"""

_reference_compare_models = compare_models


def compare_models(*args, make_optimizer=None, **kwargs):
    return _reference_compare_models(*args, **kwargs)
