"""``cnnkit report``: the class report's data model on hand-made reports (fast, exact), its page, the batch's
outputs, and the page of a really graded class opened in headless Chromium (slow: grading).

The hand-made class: alice (everything right), bob (stubs), carol (ex1's ceil mistake, recognised as a
mistake id), dave (ex1 not started, ex2 half right: stuck; a timeout in ex3), erin (ex2 forbidden whole),
frank (ex3 flagged: a status this kit version may not know), gus (an ex2 shape failure with a path
and his name in the feedback, advisory isolation, a broken chain), zed (a grader fault).
"""

from __future__ import annotations

import base64
import csv
import functools
import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from helpers import HOSTILE_DIR, MUTANTS_DIR, build_submission

from cnnkit import paths, spec
from cnnkit.cli import main as cnnkit_main
from cnnkit.grading import classreport, grade, hints, report_page, reports
from cnnkit.grading.hints import HintText

EX1, EX2, EX3 = "ex1_output_size", "ex2_conv2d", "ex3_pooling"


# -- hand-made reports ------------------------------------------------------------------------------
def case(name: str, status: str = "passed", max_score: float = 1.0, *, score: float | None = None, check: str = "",
         mistake: str = "", feedback: str = "", visibility: str = "public", where: str = "") -> dict[str, Any]:
    """One test row as ``reports.normalize`` writes it."""
    score = (max_score if status == "passed" else 0.0) if score is None else score
    return {"name": name, "score": score, "max_score": max_score, "status": status, "feedback": feedback,
            "visibility": visibility, "check": check, "mistake": mistake, "where": where,
            "group": f"{status}|{check}|{mistake}"}  # fmt: skip


def exercise(module: str, *tests: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": spec.exercise(module).title, "module": module, "score": sum(t["score"] for t in tests),
            "max_score": sum(t["max_score"] for t in tests), "tests": list(tests), **extra}  # fmt: skip


def passing(module: str) -> dict[str, Any]:
    return exercise(module, case("test_a"), case("test_b"), case("test_c", visibility="hidden"))


def stub(module: str) -> dict[str, Any]:
    """A stub's tests: NotImplementedError, and a test that wanted another exception fails without a check id."""
    return exercise(module, *(case(name, "error", check="not_implemented", feedback=f"{module}: not implemented")
                              for name in ("test_a", "test_b")),
                    case("test_c", "failed", feedback="raised NotImplementedError; expected ValueError"))


def report(*exercises: dict[str, Any], level: str = "strong", seconds: float = 12.5) -> dict[str, Any]:
    return {"score": sum(e["score"] for e in exercises), "max_score": sum(e["max_score"] for e in exercises),
            "submission": "/class/x", "exercises": list(exercises), "isolation": {"level": level},
            "seconds": seconds}  # fmt: skip


CEIL = "conv_output_size: got 16, expected 15\n  hint: round down (floor), not up"
SHAPE = ("conv2d: your shape (1, 1, 1, 1) / expected shape (1, 1, 1, 3)\n"
         "  File \"/home/gus/class/gus/ex2_conv2d.py\", line 12, in conv2d (gus's code)")


def hand_made_class() -> dict[str, dict[str, Any]]:
    """Student -> report dict (or a grader fault's dict), as a batch writes them."""
    return {
        "alice": report(passing(EX1), passing(EX2), passing(EX3)),
        "bob": report(stub(EX1), stub(EX2), stub(EX3)),
        "carol": report(exercise(EX1, case("test_a", "failed", check="int_value", mistake="ceil", feedback=CEIL),
                                 case("test_b"), case("test_c", "failed", check="int_value", mistake="ceil",
                                                      feedback=CEIL, visibility="hidden")),
                        passing(EX2), passing(EX3)),
        "dave": report(stub(EX1),
                       exercise(EX2, case("test_a"), case("test_b", "failed", check="dtype", feedback="dtype!"),
                                case("test_c", "failed", check="dtype", feedback="dtype!", visibility="hidden")),
                       exercise(EX3, case("test_a", "timeout", check="timeout", feedback="ran past 10 s"),
                                case("test_b"), case("test_c"))),
        "erin": report(passing(EX1), exercise(EX2, *(case(n, "forbidden", check="forbidden", feedback="F.conv2d")
                                                     for n in ("test_a", "test_b", "test_c"))), passing(EX3)),
        "frank": report(passing(EX1), passing(EX2),
                        exercise(EX3, *(case(n, "flagged", check="flagged", feedback="flagged for review: ctypes")
                                        for n in ("test_a", "test_b", "test_c")),
                                 flags=["ctypes at ex3_pooling.py:1"])),
        "gus": report(passing(EX1),
                      exercise(EX2, case("test_a"), case("test_b[1]", "failed", 0.5, check="shape", feedback=SHAPE,
                                                         where="/home/gus/class/gus/ex2_conv2d.py:12"),
                               case("test_b[2]", max_score=0.5), case("test_c")),
                      exercise(EX3, case("test_a"), case("test_b"), case("test_c"),
                               chain={"works": False, "modules": [EX2], "detail": "shape differs"}),
                      level="advisory"),
        "zed": {"student": "zed", "error": "GraderFault: the grader produced no report"},
    }  # fmt: skip


@pytest.fixture
def grades(tmp_path: Path) -> Path:
    """The hand-made class written as a batch writes it, with files a batch leaves beside the reports."""
    folder = tmp_path / "grades"
    folder.mkdir()
    for student, data in hand_made_class().items():  # already in the written format (frank's status kept as is)
        (folder / f"{student}.json").write_text(json.dumps(data, indent=2))
    (folder / "gradebook.csv").write_text("student\n")
    (folder / "notes.json").write_text('{"not": "a report"}')
    return folder


@pytest.fixture
def data(grades: Path) -> classreport.ClassData:
    return classreport.load_grades(grades)


def test_reading_a_batch_keeps_every_student_and_every_status(data: classreport.ClassData):
    assert [s.student for s in data.submissions] == ["alice", "bob", "carol", "dave", "erin", "frank", "gus", "zed"]
    assert [s.student for s in data.graded] == ["alice", "bob", "carol", "dave", "erin", "frank", "gus"]
    assert data.modules == [EX1, EX2, EX3]
    frank = next(s for s in data.submissions if s.student == "frank")
    assert frank.exercise(EX3).statuses == {"flagged"}, "a status is kept as written, known to this kit or not"
    assert "flagged" in data.statuses and "timeout" in data.statuses and "passed" not in data.statuses
    assert data.statuses[: len(reports.attention_statuses())] == reports.attention_statuses()


def test_score_summaries_in_total_and_per_exercise(data: classreport.ClassData):
    total, ex1, ex2, ex3 = classreport.score_summaries(data)
    totals = [9, 0, 7, 3, 6, 6, 8.5]  # alice ... gus (zed was not graded)
    assert total.scores == tuple(totals) and total.max_score == 9
    assert (total.mean, total.median, total.minimum, total.maximum) == (sum(totals) / 7, 6, 0, 9)
    assert total.attempted == 6  # all but bob
    assert ex1.module == EX1 and ex1.label.startswith("ex1 · ")
    assert ex1.scores == (3, 0, 1, 0, 3, 3, 3) and ex1.attempted == 5 and ex1.full_marks == 4
    assert ex1.attempted_mean_share == pytest.approx((1 + 1 / 3 + 1 + 1 + 1) / 5)
    assert ex2.attempted == 6 and ex2.minimum == 0  # erin's forbidden ex2 counts as attempted, at 0
    assert ex3.full_marks == 4  # alice, carol, erin, gus


def test_check_rates_count_only_those_who_attempted_and_rank_the_worst_first(data: classreport.ClassData):
    rates = {(r.module, r.check): r for r in classreport.check_rates(data)}
    ex1 = rates[(EX1, "test_a")]
    assert (ex1.failing, ex1.attempted) == (1, 5), "bob's and dave's stubs are not in the denominator"
    ex2 = rates[(EX2, "test_b")]  # dave (dtype) and gus (one case of two); erin's forbidden ex2 is left out
    assert (ex2.failing, ex2.attempted) == (2, 5)
    assert ex2.points_lost == pytest.approx((1 + 0.5) / 5) and ex2.max_score == 1
    assert (EX2, "test_a") not in rates, "only checks someone failed are listed"
    assert rates[(EX1, "test_c")].visibility == "hidden" and rates[(EX1, "test_c")].usual_failure == "ceil-label"
    shares = [r.share for r in classreport.check_rates(data)]
    assert shares == sorted(shares, reverse=True)
    assert not any(r.stands_out for r in rates.values())


def test_a_check_most_students_fail_while_the_rest_of_its_exercise_passes_stands_out():
    almost = [report(exercise(EX1, case("test_a"), case("test_b"), case("test_c"), case("test_d"),
                              case("test_unfair", "failed", check="values"))) for _ in range(3)]
    almost.append(report(passing(EX1)))
    data = classreport.ClassData("batch", "c", tuple(
        classreport.submission_from_report(f"s{i}", r) for i, r in enumerate(almost)))
    (rate,) = classreport.check_rates(data)
    assert (rate.check, rate.failing, rate.attempted, rate.stands_out) == ("test_unfair", 3, 4, True)
    assert 'stands out: <strong>ex1 test_unfair' in report_page.render_page(data)


@pytest.fixture(autouse=True)
def ex1_hints(monkeypatch: pytest.MonkeyPatch) -> None:
    """ex1 declares a hint for its ``ceil`` mistake (the label the page must show)."""
    own = {EX1: {"ceil": HintText("ceil-label", "use floor division")}}
    monkeypatch.setattr(hints, "exercise_hints", lambda module: own.get(module, {}))


def test_common_mistakes_grouped_by_mistake_or_check_with_the_hint_as_label(data: classreport.ClassData):
    mistakes = {(m.module, m.key): m for m in classreport.common_mistakes(data)}
    ceil = mistakes[(EX1, "ceil")]
    assert ceil.label == "ceil-label", "the hint's concept form, never its method"
    assert (ceil.students, ceil.attempted, ceil.failures, ceil.points_lost) == (1, 5, 2, 2)
    assert ceil.checks == ("test_a", "test_c") and ceil.statuses == ("failed",)
    dtype = mistakes[(EX2, "dtype")]
    assert dtype.label == hints.GENERIC["dtype"].concept and dtype.students == 1
    assert mistakes[(EX2, "forbidden")].students == 1 and mistakes[(EX3, "timeout")].statuses == ("timeout",)
    flagged = mistakes[(EX3, "flagged")]
    assert flagged.students == 1 and flagged.label.startswith("flagged for review")
    assert not [key for key in mistakes if key[1] == "not_implemented"], "a stub is not a mistake: it is not started"
    shape = mistakes[(EX2, "shape")]
    assert shape.label == "failed check 'shape'"
    assert "gus" not in shape.example + shape.example_where and "/home" not in shape.example + shape.example_where
    assert "ex2_conv2d.py" in shape.example and shape.example_where == "ex2_conv2d.py:12"
    students = [m.students for m in classreport.common_mistakes(data)]
    assert students == sorted(students, reverse=True)


def test_an_exercise_is_not_started_when_its_tests_only_met_the_stub():
    assert reports.not_started(stub(EX1)["tests"]) and "not started" in reports.to_text(report(stub(EX1)))
    half = stub(EX1)["tests"] + [case("test_d")]
    wrong = stub(EX1)["tests"] + [case("test_d", "failed", check="values")]
    assert not reports.not_started(half) and not reports.not_started(wrong)
    assert not reports.not_started([case("test_a", "failed")]), "no NotImplementedError, no stub"


def test_anonymise_drops_paths_and_names():
    text = 'File "/srv/class/alice-b/ex2_conv2d.py", line 3: alice-b wrote C:\\Users\\alice-b\\x.py; malice stays'
    assert classreport.anonymise(text, ["alice-b", "al"]) == (
        'File "ex2_conv2d.py", line 3: <student> wrote x.py; malice stays')


def test_help_rows_say_who_needs_a_look_and_why(data: classreport.ClassData):
    rows = {row.student: row for row in classreport.help_rows(data)}
    assert not rows["alice"].needs_help and rows["alice"].isolation == "strong" and rows["alice"].seconds == 12.5
    assert rows["bob"].not_started == (EX1, EX2, EX3) and rows["bob"].reasons == ["not started"]
    assert rows["bob"].stuck == (), "nothing later was attempted"
    assert rows["dave"].not_started == (EX1,) and rows["dave"].stuck == (EX1,)
    assert rows["dave"].by_status["timeout"] == (EX3,) and "timeout" in rows["dave"].reasons
    assert rows["erin"].by_status["forbidden"] == (EX2,) and rows["erin"].stuck == (EX2,)
    assert rows["frank"].by_status["flagged"] == (EX3,) and rows["frank"].flags == ("ctypes at ex3_pooling.py:1",)
    assert rows["gus"].chain_broken == (EX3,) and "isolation advisory" in rows["gus"].reasons
    assert rows["zed"].fault.startswith("GraderFault") and rows["zed"].score is None
    ordered = [row.student for row in classreport.help_rows(data)]
    assert ordered == ["bob", "dave", "erin", "frank", "gus", "zed", "alice", "carol"], "those needing a look first"
    assert not rows["carol"].needs_help, "an ordinary mistake is for the mistakes list, not a reason to look"


def test_a_course_merges_each_students_notebooks(tmp_path: Path):
    """An nbgrader course's kit reports (one per notebook): one submission per student, the weakest isolation."""
    course = tmp_path / "course"
    (course / "nbgrader_config.py").parent.mkdir()
    (course / "nbgrader_config.py").write_text("c = get_config()\n")
    notebooks = {("alice", EX1): report(passing(EX1), seconds=3), ("alice", EX2): report(stub(EX2), level="partial"),
                 ("bob", EX1): report(stub(EX1))}
    for (student, assignment), data in notebooks.items():
        folder = course / classreport.COURSE_REPORTS / student / assignment
        folder.mkdir(parents=True)
        (folder / f"{assignment}.json").write_text(json.dumps(data))
    data = classreport.load(course)
    assert data.nbgrader and [s.student for s in data.submissions] == ["alice", "bob"]
    alice = data.submissions[0]
    assert [e.module for e in alice.exercises] == [EX1, EX2] and alice.score == 3 and alice.max_score == 6
    assert alice.isolation == "partial" and alice.seconds == 15.5
    assert "nbgrader" in report_page.render_page(data)


def test_the_page_is_self_contained_and_shows_every_section(data: classreport.ClassData):
    page = report_page.render_page(data)
    parsed = _Page()
    parsed.feed(page)
    assert parsed.ids >= {"scores-table", "checks-table", "mistakes", "help-table", "fig-scores", "fig-checks",
                          "fig-mistakes", "fig-outcomes"}
    assert not parsed.scripts and not parsed.links, "no script, no stylesheet or font from elsewhere"
    assert parsed.images and all(src.startswith("data:image/svg+xml;base64,") for src in parsed.images)
    for src in parsed.images:
        svg = base64.b64decode(src.split(",", 1)[1]).decode()
        assert "<image" not in svg and not re.search(r'href="(?!#)', svg), "a figure refers to nothing outside"
    assert "default-src 'none'" in page
    assert "ceil-label" in page and "zed" in page and "GraderFault" in page and "flagged" in page
    for name in ("gus", "/home"):  # the mistakes' examples name nobody
        section = page.split('id="mistakes-section"')[1].split('id="help"')[0]
        assert name not in section


class _Page(HTMLParser):
    """What a page loads or runs: element ids, images, scripts, links."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.images: list[str] = []
        self.scripts = self.links = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(str(attributes["id"]))
        if tag == "img":
            self.images.append(str(attributes.get("src")))
        self.scripts += tag == "script"
        self.links += tag == "link" or (tag not in ("a",) and str(attributes.get("href", "")).startswith("http"))


def test_cnnkit_report_writes_the_page_and_refuses_a_folder_without_reports(grades: Path, tmp_path: Path,
                                                                            capsys: pytest.CaptureFixture):
    assert cnnkit_main(["report", str(grades), "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / classreport.PAGE).is_file() and "7 of 8 submissions graded" in capsys.readouterr().out
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cnnkit_main(["report", str(empty)]) == 2
    assert "holds no grading reports" in capsys.readouterr().err


def test_hidden_visibility_without_gradescope_is_refused_not_ignored(tmp_path: Path, capsys: pytest.CaptureFixture):
    for more in ([], ["--format", "json"]):
        assert cnnkit_main(["grade", str(tmp_path), "--hidden-visibility", "hidden", *more]) == 2
        error = capsys.readouterr().err.strip()
        assert error.startswith("cnnkit grade: --hidden-visibility applies to --format gradescope only") and (
            "\n" not in error)


def test_grade_starts_without_matplotlib_or_jinja():
    code = ("import sys; from cnnkit.cli import build_parser; build_parser('grade'); build_parser('report'); "
            "heavy = {'matplotlib', 'jinja2'} & set(sys.modules); assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_gradebook_has_a_column_per_status_and_the_isolation(tmp_path: Path):
    class_reports = {student: data for student, data in hand_made_class().items() if "error" not in data}
    path = tmp_path / "gradebook.csv"
    reports.write_gradebook(path, {**class_reports, "zed": None}, {"zed": "GraderFault: no report"})
    rows = {row["student"]: row for row in csv.DictReader(path.open())}
    columns = [f"{status}_exercises" for status in reports.attention_statuses()]
    assert list(rows["alice"])[-len(columns) - 3:] == ["not_started", *columns, "isolation", "flags"]
    assert rows["frank"]["flagged_exercises"] == EX3 and rows["frank"]["flags"] == f"{EX3}: ctypes at ex3_pooling.py:1"
    assert rows["alice"]["flags"] == ""
    assert rows["dave"]["timeout_exercises"] == EX3 and rows["dave"]["isolation"] == "strong"
    assert rows["dave"]["not_started"] == EX1 and rows["dave"]["error_exercises"] == ""
    assert rows["bob"]["not_started"] == f"{EX1} {EX2} {EX3}" and rows["bob"]["error_exercises"] == ""
    assert rows["erin"]["forbidden_exercises"] == EX2 and rows["gus"]["isolation"] == "advisory"
    assert rows["zed"]["isolation"] == "" and "no report" in rows["zed"]["error"]


# -- a generated class, really graded (once per session), its outputs and its page in a browser ------
CLASS_EXERCISES = [EX1, EX2, EX3]  # grading costs ~10-30 s of CPU per submission for all 14: three are enough
CTYPES = "\nimport ctypes  # no exercise needs it: the exercise rules flag it for review\n"


def _mutant(module: str, what: str) -> dict[str, str]:
    return {module: (MUTANTS_DIR / f"{module}__{what}.py").read_text()}


def generated_class(folder: Path) -> Path:
    """Ten submissions: the reference, the stubs, four mutants (one forbidden), ex1 left a stub with the rest
    done (stuck), a hang (timeout), a ctypes import (flagged) and one the grader fails on (``zed``)."""
    shutil.copytree(paths.SOLUTIONS_DIR, folder / "alice", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(paths.EXERCISES_DIR, folder / "bob", ignore=shutil.ignore_patterns("__pycache__"))
    for student, override in (
        ("carol", _mutant(EX1, "ceil")),
        ("dave", _mutant(EX2, "padding_ignored")),
        ("erin", _mutant(EX3, "max_pads_with_zeros")),
        ("frank", _mutant(EX2, "uses_torch_conv2d")),
        ("heidi", {EX1: (HOSTILE_DIR / f"{EX1}__infinite_loop.py").read_text()}),
        ("ivan", {EX1: CTYPES}),
        ("zed", {}),
    ):
        build_submission(folder / student, override)
    build_submission(folder / "grace", {})
    shutil.copy2(paths.EXERCISES_DIR / f"{EX1}.py", folder / "grace" / f"{EX1}.py")  # ex1 left as released
    return folder


def grade_with_a_fault(submission: Path, **options: Any) -> dict[str, Any]:
    """``grade_submission``, except that the grader fails on zed's submission (a fault a batch must survive)."""
    from cnnkit.grading.runner import GraderFault, grade_submission

    if submission.name == "zed":
        raise GraderFault("the grader produced no report (pytest exit 4):\nERROR: simulated for the class report")
    return grade_submission(submission, **options)


@pytest.fixture(scope="session")
def graded_class(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated class graded once per test session through ``cnnkit grade CLASS``: its output folder.

    Under pytest-xdist the workers share one grading (the first grades, the others wait for it), in the
    session's own temporary folder (xdist's documented pattern), never a previous session's.
    """
    from filelock import FileLock  # torch's dependency

    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return _grade_generated_class(tmp_path_factory.mktemp("class_report"))
    shared = tmp_path_factory.getbasetemp().parent / "class_report"
    with FileLock(str(shared) + ".lock"):
        if not (shared / "grades" / classreport.PAGE).is_file():
            shutil.rmtree(shared, ignore_errors=True)
            _grade_generated_class(shared)
    return shared / "grades"


def _grade_generated_class(root: Path) -> Path:
    klass = generated_class(root / "class")
    output = root / "grades"
    batch = functools.partial(grade.grade_class, grade=grade_with_a_fault)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(grade, "grade_class", batch)
        code = cnnkit_main(["grade", str(klass), "--output", str(output), "--jobs", "2", "--format", "json",
                            *(arg for module in CLASS_EXERCISES for arg in ("--exercise", module))])
    assert code == 0
    return output


@pytest.mark.slow
def test_a_batch_writes_feedback_the_gradebook_and_the_page(graded_class: Path):
    students = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan"]
    for student in students:
        report = json.loads((graded_class / f"{student}.json").read_text())
        text = (graded_class / f"{student}.txt").read_text()
        assert text.startswith("Grading ") and f" {report['score']:g} / {report['max_score']:g} " in text
        assert report["seconds"] > 0 and report["isolation"]["level"]
    assert not (graded_class / "zed.txt").exists() and "error" in json.loads((graded_class / "zed.json").read_text())
    rows = {row["student"]: row for row in csv.DictReader((graded_class / "gradebook.csv").open())}
    assert rows["heidi"]["timeout_exercises"] == EX1 and rows["frank"]["forbidden_exercises"] == EX2
    assert rows["alice"]["isolation"] == rows["heidi"]["isolation"] != "" and "GraderFault" in rows["zed"]["error"]
    if "flagged" in reports.STATUSES:  # the exercise rules' status (another change adds it)
        assert rows["ivan"]["flagged_exercises"] == EX1
    data = classreport.load_grades(graded_class)
    help_rows = {row.student: row for row in classreport.help_rows(data)}
    assert help_rows["bob"].not_started == tuple(CLASS_EXERCISES) and help_rows["grace"].stuck == (EX1,)
    assert help_rows["heidi"].by_status["timeout"] == (EX1,) and help_rows["frank"].by_status["forbidden"] == (EX2,)
    assert help_rows["zed"].fault and not help_rows["alice"].needs_help
    mistakes = {(m.module, m.key) for m in classreport.common_mistakes(data)}
    assert {(EX2, "forbidden"), (EX1, "timeout")} <= mistakes and any(module == EX3 for module, _ in mistakes)
    assert (graded_class / classreport.PAGE).is_file()


@pytest.fixture(scope="session")
def chromium() -> tuple[str, str]:
    """The system's Chromium and chromedriver; skips (before any grading) without them or without Selenium."""
    pytest.importorskip("selenium", reason="selenium is not installed: pip install -e '.[dev]'")
    binary = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")
                   if shutil.which(name)), None)
    driver = shutil.which("chromedriver")
    if not binary or not driver:
        pytest.skip("no Chromium and chromedriver here: apt-get update && apt-get install -y chromium chromium-driver "
                    "(Debian; .ci/run installs them)")
    return binary, driver


def browser(binary: str, driver: str) -> Any:
    """Headless Chromium through Selenium, pointed at the system's browser and driver (nothing downloaded)."""
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1300,1000"):
        options.add_argument(argument)  # no sandbox: CI runs as root, where Chromium's own sandbox cannot start
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=webdriver.ChromeService(executable_path=driver), options=options)


@pytest.mark.slow
def test_the_page_of_a_graded_class_opens_in_a_browser(chromium: tuple[str, str], graded_class: Path, tmp_path: Path):
    """Every figure loads, nothing is fetched, the console is clean; the tables and the mistakes are there."""
    from selenium.webdriver.common.by import By

    driver = browser(*chromium)
    try:
        driver.get((graded_class / classreport.PAGE).as_uri())
        images = driver.execute_script(
            "return Array.from(document.images).map(i => [i.id, i.complete, i.naturalWidth, i.naturalHeight])")
        assert {image[0] for image in images} == {"fig-scores", "fig-outcomes", "fig-checks", "fig-mistakes"}
        assert all(complete and width > 100 and height > 50 for _, complete, width, height in images), images
        assert driver.execute_script("return performance.getEntriesByType('resource').length") == 0
        rows = {table: len(driver.find_elements(By.CSS_SELECTOR, f"#{table} tbody tr"))
                for table in ("scores-table", "checks-table", "help-table")}
        assert rows == {"scores-table": 1 + len(CLASS_EXERCISES), "checks-table": rows["checks-table"],
                        "help-table": 10} and rows["checks-table"] > 0
        mistakes = driver.find_elements(By.CSS_SELECTOR, "ol#mistakes > li")
        assert len(mistakes) >= 4 and all(m.find_element(By.CSS_SELECTOR, "pre.example").text for m in mistakes)
        help_text = driver.find_element(By.ID, "help-table").text
        assert "zed" in help_text and "grader produced no report" in help_text and "stuck" in help_text
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(1300, height + 50)
        screenshot = tmp_path / "class_report.png"
        assert driver.save_screenshot(str(screenshot)) and screenshot.stat().st_size > 10_000
        print(f"screenshot: {screenshot}")
        errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        assert not errors, errors
    finally:
        driver.quit()


def test_flagged_failures_are_grouped_under_their_own_words():
    """A flagged exercise's failures are one mistake, "flagged for review", not a check named after an exception."""
    from cnnkit.grading import feedback
    from cnnkit.sandbox import FlaggedCode

    failure = feedback.explain(FlaggedCode("ex2_conv2d: flagged for review: ...", ["line 3: ctypes"]), "ex2_conv2d")
    assert (failure.status, failure.check) == ("flagged", "flagged")
    assert classreport.mistake_label("ex2_conv2d", failure.check, failure.mistake) == classreport.CHECK_WORDS["flagged"]
