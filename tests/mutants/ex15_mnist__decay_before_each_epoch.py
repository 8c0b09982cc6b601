"""Scales the learning rate *before* each epoch: the first epoch already runs at learning_rate * lr_decay."""


def compare_models(train_batches, test_batches, num_epochs=10, model_names=MODEL_NAMES, learning_rate=1e-3, seed=0,
                   criterion=None, prepare_model=None, lr_decay=1.0, make_optimizer=None):
    results = {}
    for name in model_names:
        torch.manual_seed(seed)
        model = getattr(ex7_models, name)()
        if prepare_model is not None:
            model = prepare_model(model)
        optimizer = (make_optimizer or (lambda params, lr: torch.optim.Adam(params, lr=lr)))(model.parameters(),
                                                                                              learning_rate)
        start = time.perf_counter()
        losses = []
        for _ in range(num_epochs):
            for group in optimizer.param_groups:
                group["lr"] *= lr_decay
            losses += train_model(model, optimizer, train_batches, 1, criterion=criterion)
        seconds = time.perf_counter() - start
        results[name] = {"parameters": ex7_models.count_parameters(model),
                         "test_accuracy": evaluate_model(model, test_batches), "train_seconds": seconds,
                         "epoch_losses": losses, "model": model}
    return results
