"""Calls torch's clip_grad_norm_, imported under another name (forbidden: caught however it is imported)."""

from torch.nn.utils import clip_grad_norm_ as _clip


def clip_grad_norm(parameters, max_norm, norm_type=2.0):
    return _clip(parameters, max_norm, norm_type)
