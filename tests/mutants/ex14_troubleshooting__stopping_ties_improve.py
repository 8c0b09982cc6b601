"""A tie with the best counts as an improvement (<= instead of <)."""

_Reference = EarlyStopping


class EarlyStopping(_Reference):
    def step(self, metric, model=None):
        metric = float(metric)
        if self.best is not None and metric == self.best:
            self.epoch += 1
            self.best_epoch, self.epochs_without_improvement = self.epoch, 0
            if model is not None:
                self.best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            return False
        return super().step(metric, model)
