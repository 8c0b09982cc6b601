"""Stops one epoch late: after more than patience epochs without improvement."""

_Reference = EarlyStopping


class EarlyStopping(_Reference):
    def step(self, metric, model=None):
        super().step(metric, model)
        return self.epochs_without_improvement > self.patience
