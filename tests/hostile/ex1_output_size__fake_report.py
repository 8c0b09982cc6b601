"""Answers correctly, but also tries to overwrite the grader's report and results.json with a perfect score."""

import glob
import json
import os
import tempfile

FAKE = json.dumps({"score": 9999, "max_score": 9999, "exercises": [], "tests": []})
_reference_conv_output_size = conv_output_size  # noqa: F821 (defined by the reference above)


def _targets():
    guessed = glob.glob(os.path.join(tempfile.gettempdir(), "cnnkit-report*", "*report*", "report.json"))
    guessed += glob.glob(os.path.join(tempfile.gettempdir(), "cnnkit-report*", "report.json"))
    guessed += ["/autograder/results/results.json", os.environ.get("CNNKIT_HOSTILE_TARGET", "")]
    return [path for path in guessed if path]


def _overwrite():
    for path in _targets():
        for method in ("write", "rename"):
            try:
                if method == "write":
                    with open(path, "w") as handle:
                        handle.write(FAKE)
                else:
                    fake = os.path.join(tempfile.gettempdir(), f"fake-{os.getpid()}.json")
                    with open(fake, "w") as handle:
                        handle.write(FAKE)
                    os.replace(fake, path)
            except OSError:
                pass


def conv_output_size(in_size, kernel_size, stride=1, padding=0):
    _overwrite()
    return _reference_conv_output_size(in_size, kernel_size, stride, padding)
