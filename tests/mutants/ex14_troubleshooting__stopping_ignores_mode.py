"""Always treats lower as better, whatever the mode."""

_Reference = EarlyStopping


class EarlyStopping(_Reference):
    def __init__(self, patience=3, min_delta=0.0, mode="min"):
        super().__init__(patience, min_delta, mode)
        self.mode = "min"
