"""ReLUFunction.backward zeroes grad_out where x <= 0 and returns it: right values on a fresh gradient, but it writes
into autograd's gradient (an expanded one becomes all zeros; one shared with another layer is changed for it too)."""


class ReLUFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return relu(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        grad_out[x <= 0] = 0
        return grad_out
