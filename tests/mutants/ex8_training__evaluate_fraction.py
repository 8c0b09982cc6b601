"""evaluate_model returns a fraction in [0, 1] instead of a percentage."""


def evaluate_model(model, loader, device=None):
    device = _device_of(model, device)
    model.eval()
    correct, seen = 0, 0
    with torch.no_grad():
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            correct += (model(inputs).argmax(dim=1) == targets).sum().item()
            seen += targets.shape[0]
    return correct / max(seen, 1)
