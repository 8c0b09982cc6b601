"""A generated class graded as a batch, then its class report opened in headless Chromium.

Nine submissions built from the reference (``tests/helpers.build_submission``): the reference, the
stubs, mutants of ``tests/mutants/`` (ex1 ceil, ex2 padding ignored, ex3 + ex6, a forbidden torch
call, ex14 early-stopping patience), a hostile infinite loop (a timeout) and a hostile ctypes
submission (flagged). Graded with ``cnnkit grade CLASS --output OUT/grades --jobs 2`` on exercises
1, 2, 3, 6, 8 and 14; then, where Chromium and its driver are installed, the report is opened, its
figures and console checked, and a screenshot saved as ``OUT/report.png``.

    python benchmarks/class_report_demo.py --out DIR
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from helpers import build_submission  # noqa: E402  (the kit's own test helper)

EXERCISES = ["ex1_output_size", "ex2_conv2d", "ex3_pooling", "ex6_softmax", "ex8_training", "ex14_troubleshooting"]
#: student -> {module: (folder under tests/, variant)}: the override appended to the reference module.
CLASS = {
    "alice": {},
    "carol": {"ex1_output_size": ("mutants", "ceil")},
    "dave": {"ex2_conv2d": ("mutants", "padding_ignored")},
    "erin": {"ex3_pooling": ("mutants", "max_pads_with_zeros"), "ex6_softmax": ("mutants", "no_max_shift")},
    "frank": {"ex2_conv2d": ("mutants", "uses_torch_conv2d")},
    "grace": {"ex14_troubleshooting": ("mutants", "stopping_patience_off_by_one")},
    "heidi": {"ex1_output_size": ("hostile", "infinite_loop")},
    "ivan": {"ex2_conv2d": ("hostile", "libc_open_cdll")},
}


def build_class(folder: Path) -> Path:
    for student, overrides in CLASS.items():
        build_submission(folder / student, {module: (ROOT / "tests" / kind / f"{module}__{name}.py").read_text()
                                            for module, (kind, name) in overrides.items()})
    stubs = folder / "bob"  # nothing written yet
    stubs.mkdir(parents=True)
    for stub in (ROOT / "exercises").glob("*.py"):
        shutil.copy2(stub, stubs / stub.name)
    return folder


def screenshot(page: Path, png: Path) -> None:
    """Open the page in headless Chromium: its figures, headings and console; a full-page screenshot."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        print("no screenshot: selenium is in the dev extra")
        return
    if not shutil.which("chromium") or not shutil.which("chromedriver"):
        print("no screenshot: install Chromium and its driver (Debian: apt-get install chromium chromium-driver)")
        return
    options = Options()
    options.binary_location = shutil.which("chromium")
    for argument in ("--headless=new", "--no-sandbox", "--window-size=1300,4000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    try:
        driver.get(page.resolve().as_uri())
        figures = driver.execute_script("return Array.from(document.images).map(i => i.complete && i.naturalWidth > 0)")
        print(f"figures loaded: {sum(figures)} of {len(figures)}")
        print("sections:", [h.text for h in driver.find_elements("css selector", "h2")])
        print("console messages:", driver.get_log("browser"))
        driver.save_screenshot(str(png))
        print(f"screenshot: {png}")
    finally:
        driver.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the class, its grades and the screenshot")
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    klass = build_class(args.out / "submissions")
    command = [sys.executable, "-m", "cnnkit.cli", "grade", str(klass), "--output", str(args.out / "grades"),
               "--jobs", "2", *(f"--exercise={module}" for module in EXERCISES)]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    print(f"cnnkit grade: exit {done.returncode}, {time.perf_counter() - start:.1f} s")
    print(done.stdout.strip())
    print((args.out / "grades" / "gradebook.csv").read_text())
    screenshot(args.out / "grades" / "report.html", args.out / "report.png")


if __name__ == "__main__":
    main()
