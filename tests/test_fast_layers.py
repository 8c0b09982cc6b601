"""``cnnkit.mnist.fast_layers``: the swapped-in layers compute what the stock layers compute."""

from __future__ import annotations

import math
import sys

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from cnnkit import paths
from cnnkit.mnist import compare
from cnnkit.mnist.fast_layers import (
    ByteMaskDropout,
    LayoutKeepingMaxPool2d,
    exact_in_bytes,
    random_bytes_like,
    speed_up,
)

CHANNELS_LAST = torch.channels_last


def _pool_and_flatten(pool: nn.Module, x: torch.Tensor, upstream: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Pool, flatten (as MNIST_CNN does before fc1), backward ``upstream``: (output, input gradient)."""
    x = x.detach().requires_grad_()
    y = pool(x)
    torch.flatten(y, 1).backward(upstream)
    return y.detach(), x.grad


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 3), c=st.integers(1, 5), h=st.integers(2, 9), w=st.integers(2, 9),
    kernel=st.integers(1, 3), stride=st.integers(1, 3), ceil_mode=st.booleans(), channels_last=st.booleans(),
    dtype=st.sampled_from([torch.float32, torch.bfloat16]),
)
def test_max_pool_matches_stock_forward_and_backward(n, c, h, w, kernel, stride, ceil_mode, channels_last, dtype):
    kernel, stride = min(kernel, h, w), min(stride, h, w)
    x = torch.randn(n, c, h, w).round(decimals=1).to(dtype)  # rounding makes ties common
    if channels_last:
        x = x.contiguous(memory_format=CHANNELS_LAST)
    stock = nn.MaxPool2d(kernel, stride, ceil_mode=ceil_mode)
    fast = LayoutKeepingMaxPool2d(kernel, stride, ceil_mode=ceil_mode)
    upstream = torch.randn_like(torch.flatten(stock(x), 1))
    expected_y, expected_grad = _pool_and_flatten(stock, x, upstream)
    y, grad = _pool_and_flatten(fast, x, upstream)
    assert torch.equal(y, expected_y)
    assert torch.equal(grad, expected_grad)  # same kernel, so the same choice among tied maxima


def test_max_pool_backward_gets_the_channels_last_gradient():
    """The point of the layer: max-pool's backward sees its gradient in the layout of its indices."""
    x = torch.randn(4, 8, 6, 6).contiguous(memory_format=CHANNELS_LAST).requires_grad_()
    y = LayoutKeepingMaxPool2d(2, 2)(x)
    layout_fix = y.grad_fn
    assert type(layout_fix).__name__ == "_GradientInLayoutOfBackward"
    assert type(layout_fix.next_functions[0][0]).__name__ == "MaxPool2DWithIndicesBackward0"
    standard_gradient = torch.randn(4, 8, 3, 3)  # what flatten's backward hands over
    passed_on, _ = layout_fix.apply(standard_gradient)
    assert passed_on.is_contiguous(memory_format=CHANNELS_LAST) and torch.equal(passed_on, standard_gradient)


def test_dropout_is_the_identity_in_eval_mode():
    layer = ByteMaskDropout(0.25).eval()
    x = torch.randn(3, 5)
    assert layer(x) is x


@pytest.mark.parametrize("p", [0.25, 0.5, 1 / 256, 0.75])
def test_dropout_keeps_or_scales_and_drops_with_probability_p(p):
    torch.manual_seed(0)
    x = torch.rand(1_000_000) + 1.0  # never 0, so a 0 in the output is a dropped element
    y = ByteMaskDropout(p).train()(x)
    dropped = y == 0
    assert torch.allclose(y[~dropped], x[~dropped] / (1 - p))
    # 5 standard deviations of a binomial(1e6, p)
    assert abs(dropped.double().mean().item() - p) < 5 * math.sqrt(p * (1 - p) / x.numel())


def test_every_byte_of_a_random_word_is_uniform():
    """A 63-bit draw would leave the top byte of each word below 128: p=0.5 would drop it always."""
    torch.manual_seed(0)
    bytes_ = random_bytes_like(torch.empty(800_000)).view(-1, 8).double()
    for threshold in (64, 128, 192):
        share = (bytes_ < threshold).double().mean(dim=0)
        assert torch.all((share - threshold / 256).abs() < 0.01), (threshold, share)


def test_dropout_gradient_is_the_mask():
    torch.manual_seed(1)
    x = (torch.rand(64, 32) + 1.0).requires_grad_()
    y = ByteMaskDropout(0.5).train()(x)
    y.sum().backward()
    assert torch.equal(x.grad, (y.detach() != 0).float() * 2.0)


def test_dropout_is_reproducible_from_the_seed_and_keeps_the_layout():
    x = torch.randn(4, 6, 5, 5).contiguous(memory_format=CHANNELS_LAST)
    layer = ByteMaskDropout(0.25).train()
    torch.manual_seed(7)
    first = layer(x)
    torch.manual_seed(7)
    assert torch.equal(layer(x), first)
    assert first.is_contiguous(memory_format=CHANNELS_LAST)
    torch.manual_seed(8)
    assert not torch.equal(layer(x), first)


def test_dropout_refuses_a_probability_bytes_cannot_give_exactly():
    assert exact_in_bytes(0.25) and exact_in_bytes(0.0) and not exact_in_bytes(0.3) and not exact_in_bytes(1.0)
    with pytest.raises(ValueError, match="256 \\* p"):
        ByteMaskDropout(0.3)


def test_speed_up_swaps_nested_and_shared_layers_and_leaves_the_rest():
    shared = nn.Dropout(0.5)
    model = nn.Sequential(
        nn.Conv2d(1, 2, 3), nn.MaxPool2d(2), shared,
        nn.Sequential(nn.Dropout(0.3), nn.Dropout(0.25, inplace=True), shared, nn.MaxPool2d(2, return_indices=True)),
    ).eval()
    swapped = speed_up(model)
    assert swapped == ["1", "2", "3.2"]
    assert isinstance(model[1], LayoutKeepingMaxPool2d) and isinstance(model[2], ByteMaskDropout)
    assert isinstance(model[3][2], ByteMaskDropout) and not model[3][2].training
    assert type(model[3][0]) is nn.Dropout and type(model[3][1]) is nn.Dropout  # p=0.3, in-place
    assert type(model[3][3]) is nn.MaxPool2d  # returns indices


def test_speed_up_keeps_the_article_cnn_the_same_function():
    sys.path.insert(0, str(paths.SOLUTIONS_DIR))
    try:
        import ex7_models
    finally:
        sys.path.remove(str(paths.SOLUTIONS_DIR))
    torch.manual_seed(0)
    stock = ex7_models.MNIST_CNN()
    fast = ex7_models.MNIST_CNN()
    fast.load_state_dict(stock.state_dict())
    assert speed_up(fast) == ["pool", "dropout"]
    assert ex7_models.count_parameters(fast) == 1_625_866
    x = torch.randn(5, 1, 28, 28)
    stock.eval(), fast.eval()
    assert torch.equal(fast(x), stock(x))
    fast.train()
    loss = nn.functional.cross_entropy(fast(x.contiguous(memory_format=CHANNELS_LAST)), torch.arange(5))
    loss.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in fast.parameters())


def test_speed_up_swaps_the_plain_nets_shared_dropout_once():
    """PlainNN calls its one self.dropout twice: one swap, and both calls then use the byte-mask kernel."""
    sys.path.insert(0, str(paths.SOLUTIONS_DIR))
    try:
        import ex7_models
    finally:
        sys.path.remove(str(paths.SOLUTIONS_DIR))
    model = ex7_models.PlainNN()
    assert speed_up(model) == ["dropout"] and isinstance(model.dropout, ByteMaskDropout)
    model.eval()
    x = torch.randn(3, 1, 28, 28)
    assert torch.equal(model(x), model(x))


def test_cpu_speed_settings():
    assert compare.keep_freed_memory() == sys.platform.startswith("linux")
    model = nn.Linear(3, 2)
    optimizer = compare.fastest_adam(torch.device("cpu"))(model.parameters(), 0.01)
    assert isinstance(optimizer, torch.optim.Adam) and optimizer.defaults["lr"] == 0.01
    assert optimizer.defaults["fused"] is compare.fused_optimizers_supported(torch.device("cpu"))
