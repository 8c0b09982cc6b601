"""The tutorial evaluation: _, predicted = torch.max(outputs.data, 1); correct += (predicted == labels).sum().item()."""


def evaluate_model(model, loader, device=None):
    if device is None:
        device = next(model.parameters()).device
    model.eval()
    correct = 0
    total = 0
    with torch.no_grad():
        for images, labels in loader:
            images = images.to(device)
            labels = labels.to(device)
            outputs = model(images)
            _, predicted = torch.max(outputs.data, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
    return 100 * correct / total
