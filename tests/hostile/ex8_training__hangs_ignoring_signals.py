"""train_model sleeps forever and ignores SIGTERM/SIGINT/SIGALRM: it costs its time limit once.

Later tests that train (here and in ex15, which runs this train_model) are reported at once as
"timed out earlier in <test>"; evaluate_model still passes its own tests.
"""


def train_model(model, optimizer, loader, num_epochs=1, *args, **kwargs):
    import signal
    import time

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM):
        try:
            signal.signal(sig, signal.SIG_IGN)
        except (ValueError, OSError):
            pass
    while True:
        try:
            time.sleep(3600)
        except BaseException:  # noqa: BLE001 - the point: nothing stops it but SIGKILL
            pass
