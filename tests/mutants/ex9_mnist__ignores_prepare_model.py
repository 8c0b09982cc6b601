"""Ignores prepare_model: the model is never moved to the kit's device or memory format."""


def compare_models(train_batches, test_batches, num_epochs=10, model_names=MODEL_NAMES, learning_rate=1e-3,
                   seed=0, criterion=None, prepare_model=None, lr_decay=1.0, make_optimizer=None):
    results = {}
    for name in model_names:
        torch.manual_seed(seed)
        model = getattr(ex7_models, name)()
        parameters = ex7_models.count_parameters(model)
        if make_optimizer is None:
            optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
        else:
            optimizer = make_optimizer(model.parameters(), learning_rate)
        start = time.perf_counter()
        epoch_losses = []
        for _ in range(num_epochs):
            epoch_losses += train_model(model, optimizer, train_batches, 1, criterion=criterion)
            for group in optimizer.param_groups:
                group["lr"] *= lr_decay
        train_seconds = time.perf_counter() - start
        results[name] = {
            "parameters": parameters,
            "test_accuracy": evaluate_model(model, test_batches),
            "train_seconds": train_seconds,
            "epoch_losses": epoch_losses,
            "model": model,
        }
    return results
