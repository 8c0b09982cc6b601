"""Backward methods that normalise their tensors first: .contiguous(), .to(dtype), .double(), .type_as(), .cpu() (each
returns the very tensor when nothing changes, with the forward pass's grad_fn on it); the convolution's gradients in
float64, cast back to grad_out's dtype."""


class Conv2dFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias, stride=1, padding=0):
        ctx.save_for_backward(x, weight)
        ctx.stride, ctx.padding = stride, padding
        return conv2d(x.contiguous(), weight.contiguous(), bias, stride, padding)

    @staticmethod
    def backward(ctx, grad_out):
        x, weight = ctx.saved_tensors
        grads = conv2d_backward(grad_out.contiguous().double(), x.cpu().double(), weight.type_as(x).double(),
                                ctx.stride, ctx.padding)
        return (*(grad.to(grad_out.dtype) for grad in grads), None, None)


class MaxPool2dFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, kernel_size, stride=None):
        ctx.save_for_backward(x)
        ctx.kernel_size, ctx.stride = kernel_size, stride
        return max_pool2d(x, kernel_size, stride)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        grad_x = max_pool2d_backward(grad_out.contiguous(), x.to(grad_out.dtype), ctx.kernel_size, ctx.stride)
        return grad_x, None, None


class ReLUFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return relu(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        return grad_out.cpu() * (x.contiguous() > 0).type_as(grad_out)


class LinearFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        return x @ weight.T + bias

    @staticmethod
    def backward(ctx, grad_out):
        x, weight = (tensor.to(grad_out.dtype) for tensor in ctx.saved_tensors)
        grad_out = grad_out.contiguous()
        return grad_out @ weight, grad_out.t() @ x, grad_out.sum(0)


class CrossEntropyFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, logits, targets):
        ctx.save_for_backward(logits, targets)
        return cross_entropy(logits, targets)

    @staticmethod
    def backward(ctx, grad_loss):
        logits, targets = ctx.saved_tensors
        return grad_loss.to(logits.dtype) * cross_entropy_backward(logits.contiguous(), targets.cpu()), None
