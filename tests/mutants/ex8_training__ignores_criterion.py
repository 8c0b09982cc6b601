"""train_model always uses nn.CrossEntropyLoss(), ignoring the criterion argument."""


def train_model(model, optimizer, loader, num_epochs, criterion=None, device=None):
    criterion = nn.CrossEntropyLoss()
    device = _device_of(model, device)
    model.to(device)
    epoch_losses = []
    for _ in range(num_epochs):
        model.train()
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
