"""Divides the number of correct predictions by the number of batches times the first batch's size."""


def evaluate_model(model, loader, device=None):
    model.eval()
    correct, batches, size = 0, 0, None
    with torch.no_grad():
        for inputs, targets in loader:
            correct += (model(inputs).argmax(1) == targets).sum().item()
            batches += 1
            size = size or len(targets)
    return 100.0 * correct / (batches * size)
