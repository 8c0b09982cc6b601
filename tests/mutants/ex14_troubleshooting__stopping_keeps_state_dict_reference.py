"""Keeps model.state_dict() itself: its tensors are the model's own, so best_state follows training."""

_Reference = EarlyStopping


class EarlyStopping(_Reference):
    def step(self, metric, model=None):
        stop = super().step(metric, None)
        if model is not None and self.best_epoch == self.epoch:
            self.best_state = model.state_dict()
        return stop
