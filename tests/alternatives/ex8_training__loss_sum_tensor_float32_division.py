"""Sums the batch losses x batch size as a float32 tensor (detached) and divides by a float32 sample count."""


def train_model(model, optimizer, loader, num_epochs, criterion=None, device=None):
    criterion = criterion or nn.CrossEntropyLoss()
    device = _device_of(model, device)
    model.to(device)
    epoch_losses = []
    for epoch in range(num_epochs):
        model.train()
        loss_sum = torch.zeros((), device=device)
        count = torch.zeros((), device=device)
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            optimizer.zero_grad()
            loss = criterion(model(inputs), targets)
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach() * targets.shape[0]
            count += targets.shape[0]
        epoch_losses.append((loss_sum / count).item())
    return epoch_losses
