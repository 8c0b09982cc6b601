"""Calls os._exit(0) while the module is imported: the worker dies before any answer."""

import os

os._exit(0)
