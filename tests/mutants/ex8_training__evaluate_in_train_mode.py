"""evaluate_model never calls model.eval(): dropout stays on while evaluating."""


def evaluate_model(model, loader, device=None):
    device = _device_of(model, device)
    correct, seen = 0, 0
    with torch.no_grad():
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            correct += (model(inputs).argmax(dim=1) == targets).sum().item()
            seen += targets.shape[0]
    return 100.0 * correct / max(seen, 1)
