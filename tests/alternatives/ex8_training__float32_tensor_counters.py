"""Counts correct predictions in float32 tensors and returns (100.0 * correct / total).item()."""


def evaluate_model(model, loader, device=None):
    device = device or next(model.parameters()).device
    model.eval()
    correct = torch.tensor(0.0)
    total = torch.tensor(0.0)
    with torch.no_grad():
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            preds = model(inputs).argmax(1)
            correct += (preds == targets).float().sum().cpu()
            total += targets.size(0)
    return (100.0 * correct / total).item()
