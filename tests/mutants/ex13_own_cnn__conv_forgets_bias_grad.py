"""Conv2dFunction.backward returns None for the bias: the biases never learn."""


class Conv2dFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias, stride=1, padding=0):
        ctx.save_for_backward(x, weight)
        ctx.stride, ctx.padding = stride, padding
        return conv2d(x, weight, bias, stride, padding)

    @staticmethod
    def backward(ctx, grad_out):
        x, weight = ctx.saved_tensors
        grad_x, grad_weight, _ = conv2d_backward(grad_out, x, weight, ctx.stride, ctx.padding)
        return grad_x, grad_weight, None, None, None
