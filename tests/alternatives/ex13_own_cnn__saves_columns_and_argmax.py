"""A design that saves what its backward needs instead of the inputs: the convolution keeps its unfolded columns
(forward by unfold + matmul, backward by F.fold), max pooling the index of each window's first maximum, ReLU a
boolean mask, the loss its softmax; the epochs looped in train_own_cnn."""

import torch.nn.functional as F
from ex6_softmax import softmax


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


class Conv2dFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias, stride=1, padding=0):
        (stride_h, stride_w), (pad_h, pad_w) = _pair(stride), _pair(padding)
        batch, _, height, width = x.shape
        out_channels, _, kernel_h, kernel_w = weight.shape
        out_h = (height + 2 * pad_h - kernel_h) // stride_h + 1
        out_w = (width + 2 * pad_w - kernel_w) // stride_w + 1
        columns = F.unfold(x, (kernel_h, kernel_w), padding=(pad_h, pad_w), stride=(stride_h, stride_w))
        out = weight.reshape(out_channels, -1) @ columns + bias.view(1, out_channels, 1)
        ctx.save_for_backward(columns, weight)
        ctx.geometry = (height, width), (kernel_h, kernel_w), (stride_h, stride_w), (pad_h, pad_w)
        return out.view(batch, out_channels, out_h, out_w)

    @staticmethod
    def backward(ctx, grad_out):
        columns, weight = ctx.saved_tensors
        size, kernel, stride, padding = ctx.geometry
        rows = grad_out.reshape(grad_out.shape[0], grad_out.shape[1], -1)  # (N, C_out, L)
        grad_weight = (rows @ columns.transpose(1, 2)).sum(dim=0).view(weight.shape)
        grad_columns = weight.reshape(weight.shape[0], -1).T @ rows  # (N, C_in * kH * kW, L)
        grad_x = F.fold(grad_columns, size, kernel, padding=padding, stride=stride)
        return grad_x, grad_weight, rows.sum(dim=(0, 2)), None, None


class MaxPool2dFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, kernel_size, stride=None):
        (kernel_h, kernel_w), (stride_h, stride_w) = _pair(kernel_size), _pair(kernel_size if stride is None else stride)
        windows = x.unfold(2, kernel_h, stride_h).unfold(3, kernel_w, stride_w)
        flat = windows.reshape(*windows.shape[:4], kernel_h * kernel_w)
        first = flat.argmax(dim=-1, keepdim=True)
        out_h, out_w = windows.shape[2], windows.shape[3]
        rows = torch.arange(out_h).view(out_h, 1) * stride_h + first[..., 0] // kernel_w
        cols = torch.arange(out_w).view(1, out_w) * stride_w + first[..., 0] % kernel_w
        ctx.save_for_backward(rows * x.shape[3] + cols)  # each window's maximum as an index into its (H * W) plane
        ctx.input_shape = x.shape
        return flat.gather(-1, first)[..., 0]

    @staticmethod
    def backward(ctx, grad_out):
        (positions,) = ctx.saved_tensors
        batch, channels, height, width = ctx.input_shape
        grad_x = grad_out.new_zeros(batch, channels, height * width)
        grad_x.scatter_add_(2, positions.reshape(batch, channels, -1), grad_out.reshape(batch, channels, -1))
        return grad_x.view(ctx.input_shape), None, None


class ReLUFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x > 0)
        return relu(x)

    @staticmethod
    def backward(ctx, grad_out):
        (positive,) = ctx.saved_tensors
        return torch.where(positive, grad_out, torch.zeros((), dtype=grad_out.dtype))


class CrossEntropyFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, logits, targets):
        ctx.save_for_backward(softmax(logits, dim=1), targets)
        return cross_entropy(logits, targets)

    @staticmethod
    def backward(ctx, grad_loss):
        probabilities, targets = ctx.saved_tensors
        picked = torch.zeros_like(probabilities).scatter_(1, targets.view(-1, 1), 1.0)
        return grad_loss * (probabilities - picked) / probabilities.shape[0], None


class OwnSmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
        self.fc1 = nn.Linear(32 * 7 * 7, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        for layer in (self.conv1, self.conv2):
            x = ReLUFunction.apply(Conv2dFunction.apply(x, layer.weight, layer.bias, 1, 1))
            x = MaxPool2dFunction.apply(x, 2)
        x = ReLUFunction.apply(LinearFunction.apply(x.reshape(x.size(0), -1), self.fc1.weight, self.fc1.bias))
        return LinearFunction.apply(x, self.fc2.weight, self.fc2.bias)


def train_own_cnn(model, optimizer, loader, num_epochs):
    losses = []
    for _ in range(num_epochs):
        losses += train_model(model, optimizer, loader, 1, criterion=own_cross_entropy_loss)
    return losses
