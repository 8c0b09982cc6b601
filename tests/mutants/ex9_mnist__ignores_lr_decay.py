"""Ignores lr_decay: every epoch trains at the initial learning rate (the article's constant rate)."""


def compare_models(train_batches, test_batches, num_epochs=10, model_names=MODEL_NAMES, learning_rate=1e-3,
                   seed=0, criterion=None, prepare_model=None, lr_decay=1.0, make_optimizer=None):
    results = {}
    for name in model_names:
        torch.manual_seed(seed)
        model = getattr(ex7_models, name)()
        if prepare_model is not None:
            model = prepare_model(model)
        parameters = ex7_models.count_parameters(model)
        if make_optimizer is None:
            optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
        else:
            optimizer = make_optimizer(model.parameters(), learning_rate)
        start = time.perf_counter()
        epoch_losses = train_model(model, optimizer, train_batches, num_epochs, criterion=criterion)
        train_seconds = time.perf_counter() - start
        results[name] = {
            "parameters": parameters,
            "test_accuracy": evaluate_model(model, test_batches),
            "train_seconds": train_seconds,
            "epoch_losses": epoch_losses,
            "model": model,
        }
    return results
