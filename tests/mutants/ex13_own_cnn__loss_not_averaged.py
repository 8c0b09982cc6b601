"""CrossEntropyFunction sums the batch's losses instead of averaging them (forward and backward)."""


class CrossEntropyFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, logits, targets):
        ctx.save_for_backward(logits, targets)
        return cross_entropy(logits, targets) * logits.shape[0]

    @staticmethod
    def backward(ctx, grad_loss):
        logits, targets = ctx.saved_tensors
        return grad_loss * cross_entropy_backward(logits, targets) * logits.shape[0], None
