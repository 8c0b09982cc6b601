"""Keeps per-batch losses and sizes in lists, then a weighted mean; zero_grad(set_to_none=False) after each step."""


def train_model(model, optimizer, loader, num_epochs, criterion=None, device=None):
    loss_fn = criterion if criterion is not None else nn.CrossEntropyLoss()
    dev = _device_of(model, device)
    model.to(dev)
    result = []
    optimizer.zero_grad()
    for _ in range(num_epochs):
        model.train()
        losses, sizes = [], []
        for x, y in loader:
            x, y = x.to(dev), y.to(dev)
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=False)
            losses.append(loss.item())
            sizes.append(len(y))
        result.append(sum(l * s for l, s in zip(losses, sizes)) / sum(sizes))
    return result
