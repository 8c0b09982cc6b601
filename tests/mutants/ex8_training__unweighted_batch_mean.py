"""train_model averages the batch losses without weighting them by batch size (wrong with a short last batch)."""


def train_model(model, optimizer, loader, num_epochs, criterion=None, device=None):
    criterion = nn.CrossEntropyLoss() if criterion is None else criterion
    device = _device_of(model, device)
    model.to(device)
    epoch_losses = []
    for _ in range(num_epochs):
        model.train()
        batch_losses = []
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            optimizer.zero_grad()
            loss = criterion(model(inputs), targets)
            loss.backward()
            optimizer.step()
            batch_losses.append(loss.item())
        epoch_losses.append(sum(batch_losses) / len(batch_losses))
    return epoch_losses
