"""evaluate_model runs without torch.no_grad(): autograd records a graph for nothing."""


def evaluate_model(model, loader, device=None):
    device = _device_of(model, device)
    model.eval()
    correct, seen = 0, 0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        correct += (model(inputs).argmax(dim=1) == targets).sum().item()
        seen += targets.shape[0]
    return 100.0 * correct / max(seen, 1)
