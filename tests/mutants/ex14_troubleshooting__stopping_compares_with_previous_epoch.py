"""Counts an epoch as an improvement when it beats the epoch before, not the best so far."""

import math


class EarlyStopping:
    def __init__(self, patience=3, min_delta=0.0, mode="min"):
        if mode not in ("min", "max") or patience < 1 or min_delta < 0:
            raise ValueError("bad arguments")
        self.patience, self.min_delta, self.mode = patience, min_delta, mode
        self.best, self.best_epoch, self.best_state = None, 0, None
        self.previous, self.epoch, self.bad = None, 0, 0

    def step(self, metric, model=None):
        self.epoch += 1
        metric = float(metric)
        sign = 1.0 if self.mode == "min" else -1.0
        reference = self.previous
        improved = not math.isnan(metric) and (reference is None or sign * metric < sign * reference - self.min_delta)
        self.previous = metric
        if improved:
            self.bad = 0
            if self.best is None or sign * metric < sign * self.best:
                self.best, self.best_epoch = metric, self.epoch
                if model is not None:
                    self.best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            self.bad += 1
        return self.bad >= self.patience
