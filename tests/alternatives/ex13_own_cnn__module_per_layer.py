"""One nn.Module per layer holding its own parameters (weight, bias) and calling its Function; setup_context style."""

import math


class Conv2dFunction(torch.autograd.Function):
    @staticmethod
    def forward(x, weight, bias, stride=1, padding=0):
        return conv2d(x, weight, bias, stride, padding)

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, weight, _, stride, padding = inputs
        ctx.save_for_backward(x, weight)
        ctx.options = (stride, padding)

    @staticmethod
    def backward(ctx, grad_out):
        x, weight = ctx.saved_tensors
        grad_x, grad_weight, grad_bias = conv2d_backward(grad_out, x, weight, *ctx.options)
        return grad_x, grad_weight, grad_bias, None, None


class OwnConv2d(nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size, padding):
        super().__init__()
        fan_in = in_channels * kernel_size * kernel_size
        bound = 1 / math.sqrt(fan_in)
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, kernel_size, kernel_size).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(out_channels).uniform_(-bound, bound))
        self.padding = padding

    def forward(self, x):
        return Conv2dFunction.apply(x, self.weight, self.bias, 1, self.padding)


class OwnLinear(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        bound = 1 / math.sqrt(in_features)
        self.weight = nn.Parameter(torch.empty(out_features, in_features).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(out_features).uniform_(-bound, bound))

    def forward(self, x):
        return LinearFunction.apply(x, self.weight, self.bias)


class OwnSmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = OwnConv2d(1, 16, 3, padding=1)
        self.conv2 = OwnConv2d(16, 32, 3, padding=1)
        self.fc1 = OwnLinear(32 * 7 * 7, 64)
        self.fc2 = OwnLinear(64, 10)

    def forward(self, x):
        x = MaxPool2dFunction.apply(ReLUFunction.apply(self.conv1(x)), 2)
        x = MaxPool2dFunction.apply(ReLUFunction.apply(self.conv2(x)), 2)
        x = ReLUFunction.apply(self.fc1(x.reshape(len(x), -1)))
        return self.fc2(x)
