"""lr_decay through torch.optim.lr_scheduler.ExponentialLR stepped after each epoch; time.time(); a results list zipped into a dict."""

from torch.optim.lr_scheduler import ExponentialLR


def compare_models(train_batches, test_batches, num_epochs=10, model_names=MODEL_NAMES, learning_rate=1e-3, seed=0,
                   criterion=None, prepare_model=None, lr_decay=1.0, make_optimizer=None):
    entries = []
    for name in model_names:
        torch.manual_seed(seed)
        model = getattr(ex7_models, name)()
        if prepare_model:
            model = prepare_model(model)
        if make_optimizer:
            optimizer = make_optimizer(model.parameters(), learning_rate)
        else:
            optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
        scheduler = ExponentialLR(optimizer, gamma=lr_decay)
        losses = []
        began = time.time()
        for epoch in range(num_epochs):
            [loss] = train_model(model, optimizer, train_batches, num_epochs=1, criterion=criterion)
            losses.append(float(loss))
            scheduler.step()
        took = time.time() - began
        accuracy = evaluate_model(model, test_batches)
        entries.append({"parameters": int(ex7_models.count_parameters(model)), "test_accuracy": float(accuracy),
                        "train_seconds": max(took, 1e-6), "epoch_losses": losses, "model": model})
    return dict(zip(model_names, entries))
