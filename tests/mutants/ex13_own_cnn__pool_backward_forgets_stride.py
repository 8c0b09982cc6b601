"""MaxPool2dFunction.backward does not pass the stride on (right only when stride = kernel size)."""


class MaxPool2dFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, kernel_size, stride=None):
        ctx.save_for_backward(x)
        ctx.kernel_size = kernel_size
        return max_pool2d(x, kernel_size, stride)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        return max_pool2d_backward(grad_out, x, ctx.kernel_size), None, None
