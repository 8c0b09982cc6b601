"""train_model reports each epoch's last batch loss instead of the epoch's mean loss."""


def train_model(model, optimizer, loader, num_epochs, criterion=None, device=None):
    criterion = nn.CrossEntropyLoss() if criterion is None else criterion
    device = _device_of(model, device)
    model.to(device)
    epoch_losses = []
    for _ in range(num_epochs):
        model.train()
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            optimizer.zero_grad()
            loss = criterion(model(inputs), targets)
            loss.backward()
            optimizer.step()
        epoch_losses.append(loss.item())
    return epoch_losses
