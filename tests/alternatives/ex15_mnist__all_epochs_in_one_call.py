"""All epochs in one train_model call when the rate is constant (lr_decay == 1), one epoch at a time otherwise;
the accuracy rounded to two decimals, the losses as plain floats."""


def compare_models(train_batches, test_batches, num_epochs=10, model_names=MODEL_NAMES, learning_rate=1e-3, seed=0,
                   criterion=None, prepare_model=None, lr_decay=1.0, make_optimizer=None):
    results = {}
    for name in model_names:
        torch.manual_seed(seed)
        model = getattr(ex7_models, name)()
        if prepare_model is not None:
            model = prepare_model(model)
        parameters = ex7_models.count_parameters(model)
        if make_optimizer is not None:
            optimizer = make_optimizer(model.parameters(), learning_rate)
        else:
            optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
        start = time.perf_counter()
        if lr_decay == 1.0:
            losses = train_model(model, optimizer, train_batches, num_epochs, criterion=criterion)
        else:
            losses = []
            for _ in range(num_epochs):
                losses += train_model(model, optimizer, train_batches, 1, criterion=criterion)
                for group in optimizer.param_groups:
                    group["lr"] *= lr_decay
        seconds = time.perf_counter() - start
        results[name] = {"parameters": parameters,
                         "test_accuracy": round(evaluate_model(model, test_batches), 2),
                         "train_seconds": seconds, "epoch_losses": [float(loss) for loss in losses], "model": model}
    return results
