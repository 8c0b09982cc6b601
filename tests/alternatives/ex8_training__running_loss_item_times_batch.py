"""The tutorial training loop: running_loss += loss.item() * inputs.size(0), divided by the samples seen."""


def train_model(model, optimizer, loader, num_epochs, criterion=None, device=None):
    if criterion is None:
        criterion = nn.CrossEntropyLoss()
    if device is None:
        device = next(model.parameters()).device
    model = model.to(device)
    history = []
    for epoch in range(num_epochs):
        model.train()
        running_loss = 0.0
        n_samples = 0
        for i, (inputs, labels) in enumerate(loader):
            inputs, labels = inputs.to(device), labels.to(device)
            optimizer.zero_grad()
            outputs = model(inputs)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
            running_loss += loss.item() * inputs.size(0)
            n_samples += inputs.size(0)
        epoch_loss = running_loss / n_samples
        history.append(epoch_loss)
    return history
