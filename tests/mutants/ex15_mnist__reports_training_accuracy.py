"""Reports the accuracy on the training batches (evaluate_model(model, train_batches)), not on the test batches."""


def compare_models(train_batches, test_batches, num_epochs=10, model_names=MODEL_NAMES, learning_rate=1e-3, seed=0,
                   criterion=None, prepare_model=None, lr_decay=1.0, make_optimizer=None):
    results = {}
    for name in model_names:
        torch.manual_seed(seed)
        model = getattr(ex7_models, name)()
        if prepare_model is not None:
            model = prepare_model(model)
        optimizer = (make_optimizer(model.parameters(), learning_rate) if make_optimizer is not None
                     else torch.optim.Adam(model.parameters(), lr=learning_rate))
        start = time.perf_counter()
        losses = []
        for _ in range(num_epochs):
            losses += train_model(model, optimizer, train_batches, 1, criterion=criterion)
            for group in optimizer.param_groups:
                group["lr"] *= lr_decay
        results[name] = {"parameters": ex7_models.count_parameters(model),
                         "test_accuracy": evaluate_model(model, train_batches),
                         "train_seconds": time.perf_counter() - start, "epoch_losses": losses, "model": model}
    return results
