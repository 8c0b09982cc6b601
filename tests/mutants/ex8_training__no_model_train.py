"""train_model never calls model.train(): a model left in eval mode trains with dropout off."""


def train_model(model, optimizer, loader, num_epochs, criterion=None, device=None):
    criterion = nn.CrossEntropyLoss() if criterion is None else criterion
    device = _device_of(model, device)
    model.to(device)
    epoch_losses = []
    for _ in range(num_epochs):
        loss_sum, seen = 0.0, 0
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            optimizer.zero_grad()
            loss = criterion(model(inputs), targets)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * inputs.shape[0]
            seen += inputs.shape[0]
        epoch_losses.append(loss_sum / max(seen, 1))
    return epoch_losses
