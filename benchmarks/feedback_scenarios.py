"""What a student reads: ``cnnkit grade --public-only`` on the submissions every student meets.

Builds four submissions from the stubs (``exercises/``), each with the work a student has done
so far, grades each with the public checks as a student would, and prints how many lines the
report has (``--show`` prints the reports too):

* ``all_stubs``: nothing written yet;
* ``ex1_true_division``: exercise 1 with ``/`` instead of ``//``;
* ``ex2_pad_one_side``: exercise 1 right, exercise 2 pads only the top and the left;
* ``ex2_index_error_helper``: exercise 1 right, exercise 2 raises ``IndexError`` in a helper three
  calls below ``conv2d``.

    python benchmarks/feedback_scenarios.py [--show] [--out DIR]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "tests" / "mutants"

INDEX_ERROR_HELPER = '''

def _window_sizes(weight):
    return _last_two(list(weight.shape))


def _last_two(sizes):
    return sizes[2], sizes[4]  # the kernel's width is sizes[3]: index 4 is past the end


def _kernel_geometry(weight, stride, padding):
    return _window_sizes(weight), _pair(stride), _pair(padding)


def conv2d(x, weight, bias=None, stride=1, padding=0):
    (kh, kw), (sh, sw), (ph, pw) = _kernel_geometry(weight, stride, padding)
    windows = F.pad(x, (pw, pw, ph, ph)).unfold(2, kh, sh).unfold(3, kw, sw)
    out = torch.einsum("nchwij,ocij->nohw", windows, weight)
    return out if bias is None else out + bias.view(1, -1, 1, 1)
'''


def _solution(module: str) -> str:
    return (ROOT / "solutions" / f"{module}.py").read_text()


def _with_override(module: str, extra: str) -> str:
    """The reference module with ``extra`` appended (a later ``def`` replaces the reference's)."""
    return _solution(module) + "\n\n# --- the student's version ---\n" + extra


SCENARIOS: dict[str, dict[str, str]] = {
    "all_stubs": {},
    "ex1_true_division": {"ex1_output_size": _with_override(
        "ex1_output_size", (MUTANTS / "ex1_output_size__true_division.py").read_text())},
    "ex2_pad_one_side": {"ex1_output_size": _solution("ex1_output_size"), "ex2_conv2d": _with_override(
        "ex2_conv2d", (MUTANTS / "ex2_conv2d__pad_one_side.py").read_text())},
    "ex2_index_error_helper": {"ex1_output_size": _solution("ex1_output_size"),
                               "ex2_conv2d": _with_override("ex2_conv2d", INDEX_ERROR_HELPER)},
}


def build(folder: Path, modules: dict[str, str]) -> Path:
    """A student's folder: the stubs, with ``modules`` written over them."""
    folder.mkdir(parents=True)
    for stub in (ROOT / "exercises").glob("*.py"):
        shutil.copy2(stub, folder / stub.name)
    for module, source in modules.items():
        (folder / f"{module}.py").write_text(source)
    return folder


def grade(folder: Path) -> str:
    command = [sys.executable, "-m", "cnnkit.cli", "grade", str(folder), "--public-only"]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False).stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="print each report")
    parser.add_argument("--out", type=Path, default=None, help="also write each report to DIR/<scenario>.txt")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        for name, modules in SCENARIOS.items():
            text = grade(build(Path(scratch) / name, modules))
            print(f"{name:<24} {len(text.splitlines()):>4} lines")
            if args.show:
                print(text)
            if args.out:
                args.out.mkdir(parents=True, exist_ok=True)
                (args.out / f"{name}.txt").write_text(text)


if __name__ == "__main__":
    main()
