"""An exception raised while the module is imported."""

raise RuntimeError("this module breaks at import time")
