"""An nbgrader student's code cell that goes for the course folder (CNNKIT_HOSTILE_COURSE: the attacker
is told where it is): it reads the source notebook (the solutions) and answers with the reference
code found there, gives every grade in gradebook.db 705 points through SQLite, and appends a line
to nbgrader_config.py (which nbgrader runs on the instructor's next command).

With isolation "advisory" (no OS layers) this used to work. The course folder is now denied to
every worker (Landlock where there is Landlock, the audit hook everywhere): it answers 0.
"""

import json
import os
import sqlite3

COURSE = os.environ.get("CNNKIT_HOSTILE_COURSE", "")
_found = {}


def _steal_solution():
    source = os.path.join(COURSE, "source", "ex1_output_size", "ex1_output_size.ipynb")
    with open(source) as handle:
        cells = json.load(handle)["cells"]
    code = next("".join(c["source"]) for c in cells if "def conv_output_size" in "".join(c["source"]))
    exec(code, _found)  # noqa: S102


def _rewrite_gradebook():
    with sqlite3.connect(os.path.join(COURSE, "gradebook.db")) as gradebook:
        gradebook.execute("UPDATE grade SET auto_score = 705, manual_score = 705")


def _poison_config():
    with open(os.path.join(COURSE, "nbgrader_config.py"), "a") as config:
        config.write("\n# owned: a student's code wrote here (nbgrader would run it next time)\n")


if COURSE:
    for attack in (_steal_solution, _rewrite_gradebook, _poison_config):
        try:
            attack()
        except Exception:  # noqa: BLE001 - denied: try the next one
            pass


def conv_output_size(in_size, kernel_size, stride=1, padding=0):
    stolen = _found.get("conv_output_size")
    return stolen(in_size, kernel_size, stride, padding) if stolen else 0
