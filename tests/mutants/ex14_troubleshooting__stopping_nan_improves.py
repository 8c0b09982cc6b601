"""Asks whether the metric is worse (>=) instead of better: a NaN then counts as an improvement."""

_Reference = EarlyStopping


class EarlyStopping(_Reference):
    def step(self, metric, model=None):
        metric = float(metric)
        if self.best is None:
            return super().step(metric, model)
        self.epoch += 1
        worse = metric >= self.best - self.min_delta if self.mode == "min" else metric <= self.best + self.min_delta
        if worse:
            self.epochs_without_improvement += 1
        else:
            self.best, self.best_epoch, self.epochs_without_improvement = metric, self.epoch, 0
            if model is not None:
                self.best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        return self.epochs_without_improvement >= self.patience
