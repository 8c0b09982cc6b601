"""Its own evaluation loop (eval mode, no_grad, argmax, percent of the digits counted), its own parameter count
(numel of the trainable parameters), time.monotonic, the optimizer chosen up front."""


def _accuracy(model, batches):
    model.eval()
    correct = seen = 0
    with torch.no_grad():
        for images, labels in batches:
            correct += int((model(images).argmax(dim=1) == labels).sum())
            seen += labels.numel()
    return 100.0 * correct / seen


def compare_models(train_batches, test_batches, num_epochs=10, model_names=MODEL_NAMES, learning_rate=1e-3, seed=0,
                   criterion=None, prepare_model=None, lr_decay=1.0, make_optimizer=None):
    build_optimizer = make_optimizer or (lambda parameters, lr: torch.optim.Adam(parameters, lr=lr))
    results = {}
    for name in model_names:
        torch.manual_seed(seed)
        model = getattr(ex7_models, name)()
        model = prepare_model(model) if prepare_model else model
        optimizer = build_optimizer(model.parameters(), learning_rate)
        began = time.monotonic()
        losses = []
        for epoch in range(num_epochs):
            losses.extend(train_model(model, optimizer, train_batches, 1, criterion=criterion))
            for group in optimizer.param_groups:
                group["lr"] = group["lr"] * lr_decay
        seconds = time.monotonic() - began
        results[name] = {
            "parameters": sum(p.numel() for p in model.parameters() if p.requires_grad),
            "test_accuracy": _accuracy(model, test_batches),
            "train_seconds": max(seconds, 1e-9),
            "epoch_losses": losses,
            "model": model,
        }
    return results
