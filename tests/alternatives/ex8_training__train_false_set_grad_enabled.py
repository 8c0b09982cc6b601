"""Evaluation with model.train(False) and torch.set_grad_enabled(False); accuracy = correct / total * 100."""


def evaluate_model(model, loader, device=None):
    dev = _device_of(model, device)
    model.train(False)
    correct = total = 0
    with torch.set_grad_enabled(False):
        for batch in loader:
            x, y = batch
            logits = model(x.to(dev))
            correct += int((logits.argmax(dim=-1) == y.to(dev)).sum())
            total += y.numel()
    return correct / total * 100
