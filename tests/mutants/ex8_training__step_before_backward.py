"""Calls optimizer.step() before loss.backward(): each step applies the previous batch's gradient."""


def train_model(model, optimizer, loader, num_epochs, criterion=None, device=None):
    criterion = criterion or nn.CrossEntropyLoss()
    history = []
    for _ in range(num_epochs):
        model.train()
        total, seen = 0.0, 0
        for inputs, targets in loader:
            optimizer.zero_grad()
            loss = criterion(model(inputs), targets)
            optimizer.step()
            loss.backward()
            total += loss.item() * len(targets)
            seen += len(targets)
        history.append(total / seen)
    return history
