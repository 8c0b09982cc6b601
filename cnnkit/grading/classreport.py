"""``cnnkit report``: what a class got wrong, read from the kit's JSON reports.

    cnnkit report GRADES_DIR [--out DIR]

``GRADES_DIR`` is a batch's output (``cnnkit grade CLASS --output grades/``: ``<student>.json`` per
student, the format of ``cnnkit.grading.reports.normalize``, or ``{"student", "error"}`` for a
submission the grader could not grade) or an nbgrader course (its ``gradebook.db`` plus the reports
``SandboxGrades`` writes under ``cnnkit_reports/<student>/<assignment>/``). The page
(``report.html`` in ``--out``, default ``GRADES_DIR``) is written by ``cnnkit.grading.report_page``.

This module is the data model and its aggregations, plain Python on report dicts (no plotting,
no templates: those are imported only when a page is written, so ``cnnkit grade`` starts fast):

* ``score_summaries``: the score distribution, in total and per exercise;
* ``check_rates``: per grader check, the share of the students who attempted its exercise that fail it;
* ``common_mistakes``: failures grouped by (exercise, the mistake the check recognised, else the check);
* ``help_rows``: per submission, what needs the instructor (not started, stuck, statuses such as
  timeout or forbidden, flags, grader faults), its isolation level and grading time.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cnnkit import spec
from cnnkit.errors import OK, CommandError
from cnnkit.grading import reports
from cnnkit.grading.hints import hint_for
from cnnkit.grading.runner import ISOLATION_LEVELS

#: The page a report writes (in ``--out``; a batch writes it beside its reports).
PAGE = "report.html"
#: Where ``cnnkit.course.autograde.SandboxGrades`` keeps the kit's report of each notebook in an nbgrader
#: course: ``<course>/cnnkit_reports/<student>/<assignment>/<notebook>.json`` (not beside the autograded
#: notebook: ``nbgrader generate_feedback`` copies every other file there into what students get back).
COURSE_REPORTS = "cnnkit_reports"
#: Statuses a test ends in without any problem to look at.
ORDINARY = ("passed", "failed")


# -- the data model ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class TestOutcome:
    """One grader test of one student (a row of the JSON report's ``tests``)."""

    module: str
    name: str
    status: str
    score: float
    max_score: float
    visibility: str = "public"
    check: str = ""  # which check failed ("shape", "values", "not_implemented", "timeout", ...)
    mistake: str = ""  # the known mistake it recognised, if any
    where: str = ""  # the student's file:line, when their code raised
    feedback: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def check_name(self) -> str:
        """The grader check, without the parametrized case: ``test_edge_cases[a single row]`` -> ``test_edge_cases``."""
        return self.name.split("[", 1)[0]

    @property
    def lost(self) -> float:
        return self.max_score - self.score


@dataclass(frozen=True)
class ExerciseOutcome:
    """One exercise of one student."""

    module: str
    score: float
    max_score: float
    tests: tuple[TestOutcome, ...]
    chain: Mapping[str, Any] | None = None  # graded on the reference modules: does it work with the student's own?
    flags: tuple[str, ...] = ()  # what put it up for review, when the report says

    @property
    def not_started(self) -> bool:
        """Every test ran into the stub's ``NotImplementedError`` (the text report's rule)."""
        return reports.not_started({"check": t.check} for t in self.tests)

    @property
    def statuses(self) -> set[str]:
        return {test.status for test in self.tests}

    @property
    def ran_normally(self) -> bool:
        """False when every test ended in one and the same unusual status (forbidden, flagged, an import error,
        a hang in everything): the checks then say nothing about the code, so check rates leave it out."""
        return not (len(self.statuses) == 1 and not self.statuses <= set(ORDINARY))

    @property
    def attempted(self) -> bool:
        return not self.not_started


@dataclass(frozen=True)
class Submission:
    """One student: the exercises graded, or the grader fault that left them ungraded."""

    student: str
    exercises: tuple[ExerciseOutcome, ...] = ()
    isolation: str = ""  # the level student code ran under ("" when no student code ran)
    seconds: float | None = None  # grading time
    fault: str = ""  # the grader failed: why (no grade)
    #: nbgrader courses only: the gradebook's (score, max_score) per assignment submitted, and those not submitted.
    nbgrader: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    not_submitted: tuple[str, ...] = ()

    @property
    def graded(self) -> bool:
        return not self.fault and bool(self.exercises)

    @property
    def score(self) -> float:
        return sum(exercise.score for exercise in self.exercises)

    @property
    def max_score(self) -> float:
        return sum(exercise.max_score for exercise in self.exercises)

    def exercise(self, module: str) -> ExerciseOutcome | None:
        return next((exercise for exercise in self.exercises if exercise.module == module), None)


@dataclass(frozen=True)
class ClassData:
    """Every submission of a class, from a batch's folder or an nbgrader course."""

    source: str  # "batch" or "nbgrader course"
    folder: str  # the folder's name (the page names no other path)
    submissions: tuple[Submission, ...]

    @property
    def graded(self) -> list[Submission]:
        return [submission for submission in self.submissions if submission.graded]

    @property
    def modules(self) -> list[str]:
        """The exercise modules graded for anyone, in curriculum order (unknown ones last)."""
        seen = {exercise.module for submission in self.submissions for exercise in submission.exercises}
        order = [exercise.module for exercise in spec.EXERCISES]
        return sorted(seen, key=lambda module: (order.index(module) if module in order else len(order), module))

    @property
    def statuses(self) -> list[str]:
        """The statuses worth a column: ``reports.attention_statuses`` plus any other status a report holds."""
        seen = {t.status for s in self.submissions for e in s.exercises for t in e.tests}
        return reports.attention_statuses(seen)

    @property
    def nbgrader(self) -> bool:
        return self.source == "nbgrader course"


# -- reading reports --------------------------------------------------------------------------------
def submission_from_report(student: str, report: Mapping[str, Any]) -> Submission:
    """A ``Submission`` from one JSON report as a batch writes it (or its grader-fault form ``{"student", "error"}``).

    Statuses are kept as written (a status this kit version does not know is still shown).
    """
    if "exercises" not in report:
        return Submission(student, fault=str(report.get("error") or "no report"))
    exercises = []
    for exercise in report["exercises"]:
        tests = tuple(
            TestOutcome(
                module=exercise["module"], name=str(test["name"]), status=str(test["status"]),
                score=float(test["score"]), max_score=float(test["max_score"]),
                visibility=str(test.get("visibility") or "public"), check=str(test.get("check") or ""),
                mistake=str(test.get("mistake") or ""), where=str(test.get("where") or ""),
                feedback=str(test.get("feedback") or ""),
            )  # fmt: skip
            for test in exercise["tests"]
        )
        exercises.append(ExerciseOutcome(  # the report's sums: from the unrounded shares of each test
            module=exercise["module"], score=float(exercise.get("score", sum(t.score for t in tests))),
            max_score=float(exercise.get("max_score", sum(t.max_score for t in tests))),
            tests=tests, chain=exercise.get("chain") or None, flags=tuple(str(f) for f in exercise.get("flags") or ()),
        ))  # fmt: skip
    isolation = report.get("isolation") or {}
    seconds = report.get("seconds")
    return Submission(student, tuple(exercises), str(isolation.get("level") or ""),
                      float(seconds) if seconds is not None else None)


def _read_json(path: Path) -> Mapping[str, Any] | None:
    """A report file's dict, or None for a JSON file that is not a report (or not JSON)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and ("exercises" in data or "error" in data) else None


def load_grades(folder: Path, students: Iterable[str] | None = None) -> ClassData:
    """A batch's folder: every ``<student>.json`` report in it (other files are ignored), or only ``students``'."""
    paths = sorted(folder.glob("*.json")) if students is None else [folder / f"{name}.json" for name in students]
    submissions = []
    for path in sorted(paths):
        report = _read_json(path)
        if report is not None:
            submissions.append(submission_from_report(path.stem, report))
    return ClassData("batch", folder.resolve().name, tuple(submissions))


def is_course(folder: Path) -> bool:
    """An nbgrader course: a gradebook, or the course's config with the kit's reports."""
    return (folder / "gradebook.db").is_file() or (
        (folder / "nbgrader_config.py").is_file() and (folder / COURSE_REPORTS).is_dir())


def merge_notebooks(student: str, notebooks: Sequence[Mapping[str, Any]]) -> Submission:
    """One student of a course from the reports of their notebooks (one per assignment): the exercises of all
    of them (an exercise graded twice counts once, its last report), the weakest isolation, the total time."""
    by_module: dict[str, Mapping[str, Any]] = {}
    for report in notebooks:
        for exercise in report.get("exercises", []):
            by_module[exercise["module"]] = exercise
    levels = [str((report.get("isolation") or {}).get("level") or "") for report in notebooks]
    levels = [level for level in levels if level]
    weakest = min(levels, key=lambda level: ISOLATION_LEVELS.index(level) if level in ISOLATION_LEVELS else -1,
                  default=None)
    seconds = [float(report["seconds"]) for report in notebooks if report.get("seconds") is not None]
    merged = {"exercises": list(by_module.values()), "isolation": {"level": weakest} if weakest else None,
              "seconds": sum(seconds) if seconds else None}
    return submission_from_report(student, merged)


def _gradebook(course: Path) -> tuple[list[str], dict[str, dict[str, tuple[float, float]]], list[str]]:
    """nbgrader's gradebook: its students, each one's (score, max_score) per assignment submitted, the assignments."""
    try:
        from nbgrader.api import Gradebook, MissingEntry
    except ImportError:
        raise CommandError("reading an nbgrader course needs nbgrader: pip install 'cnnkit[instructor]'") from None
    students: list[str] = []
    scores: dict[str, dict[str, tuple[float, float]]] = {}
    try:
        opened = Gradebook(f"sqlite:///{course / 'gradebook.db'}")
    except FileNotFoundError as missing:  # nbgrader runs alembic's command: the environment's bin/ is not on PATH
        raise CommandError(f"nbgrader could not open the gradebook ({missing.filename} not found): activate the "
                           "environment nbgrader is installed in") from None
    with opened as gradebook:
        assignments = [assignment.name for assignment in gradebook.assignments]
        for student in gradebook.students:
            students.append(student.id)
            for assignment in assignments:
                try:
                    submitted = gradebook.find_submission(assignment, student.id)
                except MissingEntry:
                    continue
                scores.setdefault(student.id, {})[assignment] = (float(submitted.score), float(submitted.max_score))
    return students, scores, assignments


def load_course(course: Path) -> ClassData:
    """An nbgrader course: the students and scores of its gradebook, the detail of the kit's reports.

    A student the gradebook lists with submissions but without any kit report (autograded before the kit
    wrote reports, or its autograde failed) is a grader fault; one who submitted nothing is listed as such.
    """
    reports_dir = course / COURSE_REPORTS
    notebooks: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for path in sorted(reports_dir.glob("*/*/*.json")):
        report = _read_json(path)
        if report is not None:
            notebooks[path.parent.parent.name].append(report)
    students, scores, assignments = _gradebook(course) if (course / "gradebook.db").is_file() else ([], {}, [])
    submissions = []
    for student in sorted({*students, *notebooks}):
        own = scores.get(student, {})
        missing = tuple(a for a in assignments if a not in own)
        if notebooks.get(student):
            submission = merge_notebooks(student, notebooks[student])
        elif own:
            submission = Submission(student, fault="autograded without the kit's report (autograde again with "
                                    "cnnkit.course.autograde.SandboxGrades)")
        else:
            submission = Submission(student)
        submissions.append(replace(submission, nbgrader=own, not_submitted=missing))
    return ClassData("nbgrader course", course.resolve().name, tuple(submissions))


def load(folder: Path) -> ClassData:
    """A batch's output folder or an nbgrader course (``is_course``)."""
    return load_course(folder) if is_course(folder) else load_grades(folder)


# -- anonymised examples ----------------------------------------------------------------------------
_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[\\/][^\s'\"<>:,()\\/]+)+[\\/]([^\s'\"<>:,()\\/]+)")


def anonymise(text: str, names: Iterable[str]) -> str:
    """``text`` without paths (each becomes its file name) and without the students' ``names``."""
    text = _PATH.sub(lambda match: match.group(1), text)
    for name in sorted(set(names), key=len, reverse=True):
        if len(name) >= 3:  # a one- or two-letter folder name would blank ordinary words
            text = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", "<student>", text)
    return text


# -- aggregations -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScoreSummary:
    """The scores of the graded students, for one exercise (``module``) or the total (``module`` "")."""

    module: str
    label: str
    max_score: float
    scores: tuple[float, ...]
    attempted_shares: tuple[float, ...]  # the share of the points of each student who started it (the total: anything)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.scores) if self.scores else 0.0

    @property
    def median(self) -> float:
        return statistics.median(self.scores) if self.scores else 0.0

    @property
    def minimum(self) -> float:
        return min(self.scores, default=0.0)

    @property
    def maximum(self) -> float:
        return max(self.scores, default=0.0)

    @property
    def full_marks(self) -> int:
        return sum(score >= self.max_score - 1e-6 for score in self.scores) if self.max_score else 0

    @property
    def attempted(self) -> int:
        return len(self.attempted_shares)

    @property
    def attempted_mean_share(self) -> float | None:
        """The mean share of the points among those who attempted (None: nobody did): a weak lesson is low here."""
        return statistics.fmean(self.attempted_shares) if self.attempted_shares else None


def exercise_label(module: str) -> str:
    """``ex2 · 2-D convolution`` (the spec's title; the module name for one the spec does not declare)."""
    if module in spec.BY_MODULE:
        return f"ex{spec.exercise(module).number} · {spec.exercise(module).title}"
    return module


def short(module: str) -> str:
    """``ex2_conv2d`` -> ``ex2``."""
    return f"ex{spec.exercise(module).number}" if module in spec.BY_MODULE else module


def score_summaries(data: ClassData) -> list[ScoreSummary]:
    """The total first, then each exercise in curriculum order, over the graded submissions."""
    graded = data.graded
    total = ScoreSummary(
        "", "Total", max((s.max_score for s in graded), default=0.0), tuple(s.score for s in graded),
        tuple(s.score / s.max_score for s in graded if s.max_score and any(e.attempted for e in s.exercises)),
    )  # fmt: skip
    summaries = [total]
    for module in data.modules:
        outcomes = [e for e in (s.exercise(module) for s in graded) if e is not None]
        max_score = max((e.max_score for e in outcomes), default=0.0)
        started = [e for e in outcomes if e.attempted]
        summaries.append(ScoreSummary(
            module, exercise_label(module), max_score, tuple(e.score for e in outcomes),
            tuple(e.score / e.max_score for e in started if e.max_score),
        ))  # fmt: skip
    return summaries


def _failure_key(test: TestOutcome) -> str:
    """What a failure was: the mistake the check recognised, else the check."""
    return test.mistake or test.check or "unclassified"


def printed_hint(feedback: str) -> str:
    """The hint a failure printed (``  hint: ...``), "" when none: a grader that recognises a mistake by its answer
    without a mistake id (0.1-style graders) says it only there."""
    found = re.search(r"^\s*hint: (.+)$", feedback, re.MULTILINE)
    return found.group(1).strip() if found else ""


#: The failures every exercise can have that no hint explains (``cnnkit.grading.feedback``'s check ids), in words.
CHECK_WORDS = {
    "not_implemented": "a function left unwritten (the stub's NotImplementedError)",
    "raised": "the code raised an exception",
    "crash": "the code crashed its process",
    "timeout": "ran past the time limit (an endless or very slow loop)",
    "forbidden": "called a torch function the exercise forbids (the exercise scores 0)",
    "flagged": "flagged for review: code the exercise rules do not allow (the exercise scores 0)",
    "flaky": "different results for the same input (unseeded randomness or kept state)",
}


def mistake_label(module: str, check: str, mistake: str, printed: Sequence[str] = ()) -> str:
    """The mistake in words: the hint's concept form, else the one hint its failures printed, else the check's
    meaning (``CHECK_WORDS``), else its id."""
    hint = hint_for(module, check, mistake, "concept")
    if hint:
        return hint
    if len(set(printed)) == 1:
        return printed[0]
    if not mistake and check in CHECK_WORDS:
        return CHECK_WORDS[check]
    what = mistake or check
    if not what:
        return "failures no check classified (see the example)"
    return f"failed check '{what}'" + (" (several causes)" if printed else "")


FailureGroups = dict[tuple[str, str], list[tuple[str, TestOutcome]]]


def failure_groups(data: ClassData) -> tuple[FailureGroups, Counter[str]]:
    """The failures of attempted exercises by (exercise, mistake or check), each with its student, in report
    order; and per exercise, how many attempted it. Grader errors (check ``grader``) are the kit's faults, not
    the students' mistakes (``help_rows`` lists them)."""
    groups: FailureGroups = defaultdict(list)
    attempted: Counter[str] = Counter()
    for submission in data.graded:
        for exercise in submission.exercises:
            if not exercise.attempted:
                continue
            attempted[exercise.module] += 1
            for test in exercise.tests:
                if not test.passed and test.check != "grader":
                    groups[(exercise.module, _failure_key(test))].append((submission.student, test))
    return groups, attempted


def _printed_by_student(failures: Sequence[tuple[str, TestOutcome]]) -> list[str]:
    """Each student's printed hints in a group, once per student (the most frequent first)."""
    per_student = {(student, printed_hint(test.feedback)) for student, test in failures}
    counts = Counter(hint for _, hint in per_student if hint)
    return [hint for hint, _ in counts.most_common()]


def group_labels(groups: FailureGroups) -> dict[tuple[str, str], str]:
    """Each group's label (``mistake_label``), one per group for the whole page."""
    labels = {}
    for (module, _), failures in groups.items():
        first = failures[0][1]
        labels[(module, _failure_key(first))] = mistake_label(module, first.check, first.mistake,
                                                              _printed_by_student(failures))
    return labels


@dataclass(frozen=True)
class CheckRate:
    """One grader check (all its parametrized cases): who of those who attempted its exercise fail it."""

    module: str
    check: str
    visibility: str
    attempted: int
    failing: int
    points_lost: float  # mean over those who attempted
    max_score: float
    usual_failure: str  # the most frequent mistake (or check) among its failures, in words
    stands_out: bool = False  # failed far more than the rest of its exercise: a weak lesson or an unfair check

    @property
    def share(self) -> float:
        return self.failing / self.attempted if self.attempted else 0.0


#: A check "stands out" when at least this share of those who attempted fail it ...
STANDS_OUT_SHARE = 0.5
#: ... while the other checks of its exercise are failed, on average, by at most this share ...
QUIET_EXERCISE_SHARE = 0.25
#: ... among at least this many students (one of two is no pattern).
STANDS_OUT_STUDENTS = 3


def check_rates(data: ClassData) -> list[CheckRate]:
    """Every check failed by anyone, ranked: highest share first, then the most points lost.

    The denominator is the students who attempted the exercise and whose exercise ran normally (not a
    stub, not zeroed whole as forbidden or flagged): a check everyone fails then stands out, instead of
    drowning among the not-started ones.
    """
    cases: dict[tuple[str, str], dict[str, list[TestOutcome]]] = defaultdict(lambda: defaultdict(list))
    attempted: Counter[str] = Counter()
    for submission in data.graded:
        for exercise in submission.exercises:
            if exercise.attempted and exercise.ran_normally:
                attempted[exercise.module] += 1
                for test in exercise.tests:
                    cases[(exercise.module, test.check_name)][submission.student].append(test)
    labels = group_labels(failure_groups(data)[0])
    rates = []
    for (module, check), by_student in cases.items():
        tests = [test for student_tests in by_student.values() for test in student_tests]
        failures = [test for test in tests if not test.passed]
        usual = Counter(_failure_key(t) for t in failures if t.check != "grader").most_common(1)
        rates.append(CheckRate(
            module, check, "hidden" if any(t.visibility == "hidden" for t in tests) else "public",
            attempted[module], failing=sum(any(not t.passed for t in ts) for ts in by_student.values()),
            points_lost=sum(t.lost for t in failures) / max(1, attempted[module]),
            max_score=max(sum(t.max_score for t in ts) for ts in by_student.values()),
            usual_failure=labels.get((module, usual[0][0]), "") if usual else "grader error",
        ))  # fmt: skip
    rates = _mark_standouts(rates)
    return sorted((r for r in rates if r.failing), key=lambda r: (-r.share, -r.points_lost, r.module, r.check))


def _mark_standouts(rates: list[CheckRate]) -> list[CheckRate]:
    marked = []
    for rate in rates:
        others = [r.share for r in rates if r.module == rate.module and r is not rate]
        quiet = not others or statistics.fmean(others) <= QUIET_EXERCISE_SHARE
        enough = rate.attempted >= STANDS_OUT_STUDENTS
        marked.append(replace(rate, stands_out=enough and rate.share >= STANDS_OUT_SHARE and quiet))
    return marked


@dataclass(frozen=True)
class CommonMistake:
    """Failures of one exercise with the same recognised mistake (or, unrecognised, the same check)."""

    module: str
    key: str  # the mistake's id, else the check's
    label: str  # the mistake in words (the hint's concept form)
    students: int
    attempted: int  # students who attempted the exercise
    failures: int  # failed test cases, over all students
    points_lost: float  # over all students
    statuses: tuple[str, ...]
    checks: tuple[str, ...]  # the grader checks that saw it
    example: str  # one failure's feedback, anonymised
    example_where: str  # the student's file:line it pointed at, anonymised
    causes: tuple[str, ...] = ()  # several hints printed under one check id: each (most students first)

    @property
    def share(self) -> float:
        return self.students / self.attempted if self.attempted else 0.0


def common_mistakes(data: ClassData) -> list[CommonMistake]:
    """Failures of attempted exercises grouped by (exercise, mistake or check), most students first."""
    groups, attempted = failure_groups(data)
    labels = group_labels(groups)
    names = [submission.student for submission in data.submissions]
    mistakes = []
    for (module, key), failures in groups.items():
        first = failures[0][1]  # report order: public checks and worked examples come first
        printed = _printed_by_student(failures)
        mistakes.append(CommonMistake(
            module, key, labels[(module, key)], students=len({student for student, _ in failures}),
            attempted=attempted[module], failures=len(failures), points_lost=sum(test.lost for _, test in failures),
            statuses=tuple(sorted({test.status for _, test in failures})),
            checks=tuple(dict.fromkeys(test.check_name for _, test in failures)),
            example=anonymise(first.feedback, names), example_where=anonymise(first.where, names),
            causes=tuple(printed) if len(printed) > 1 else (),
        ))  # fmt: skip
    return sorted(mistakes, key=lambda m: (-m.students, -m.points_lost, m.module, m.key))


@dataclass(frozen=True)
class HelpRow:
    """One submission, seen by an instructor deciding whom to help."""

    student: str
    score: float | None  # None: not graded
    max_score: float | None
    not_started: tuple[str, ...]
    stuck: tuple[str, ...]  # at 0 while a later exercise was attempted
    by_status: Mapping[str, tuple[str, ...]]  # status (timeout, error, forbidden, ...) -> attempted exercises with it
    flags: tuple[str, ...]  # what put exercises up for review, when the reports say
    chain_broken: tuple[str, ...]  # exercises that do not work with the student's own earlier modules
    grader_errors: tuple[str, ...]  # exercises where a grader check itself failed (check "grader")
    fault: str  # the grader could not grade the submission
    isolation: str
    seconds: float | None
    nbgrader: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    not_submitted: tuple[str, ...] = ()
    graded_exercises: int = 0  # exercises graded for this student (to say "all")

    @property
    def reasons(self) -> list[str]:
        """Why this submission needs a look, in words ([] when it does not)."""
        reasons = []
        if self.fault:
            reasons.append("grader fault")
        if self.not_submitted:
            reasons.append("not submitted")
        if self.not_started:
            reasons.append("not started" if len(self.not_started) == self.graded_exercises else "some not started")
        if self.stuck:
            reasons.append("stuck")
        reasons += [status for status, modules in self.by_status.items() if modules]
        if self.grader_errors:
            reasons.append("grader error")
        if self.chain_broken:
            reasons.append("earlier modules break later ones")
        if self.isolation and self.isolation != "strong":
            reasons.append(f"isolation {self.isolation}")
        return reasons

    @property
    def needs_help(self) -> bool:
        return bool(self.reasons)


def stuck_exercises(exercises: Sequence[ExerciseOutcome], modules: Sequence[str]) -> tuple[str, ...]:
    """The exercises at 0 points while a later one (in ``modules``' order) was attempted."""
    order = {module: index for index, module in enumerate(modules)}
    ordered = sorted(exercises, key=lambda e: order.get(e.module, len(order)))
    return tuple(
        e.module for i, e in enumerate(ordered)
        if e.max_score > 0 and e.score <= 0 and any(later.attempted for later in ordered[i + 1:])
    )  # fmt: skip


def help_rows(data: ClassData) -> list[HelpRow]:
    """Every submission, those that need a look first (then by name)."""
    modules, statuses = data.modules, data.statuses
    rows = []
    for s in data.submissions:
        rows.append(HelpRow(
            s.student, s.score if s.graded else None, s.max_score if s.graded else None,
            not_started=tuple(e.module for e in s.exercises if e.not_started),
            stuck=stuck_exercises(s.exercises, modules),
            by_status={status: tuple(e.module for e in s.exercises if status in e.statuses and e.attempted)
                       for status in statuses},  # a stub's NotImplementedError is "not started", not an error
            flags=tuple(flag for e in s.exercises for flag in e.flags),
            chain_broken=tuple(e.module for e in s.exercises if e.chain and not e.chain.get("works", True)),
            grader_errors=tuple(e.module for e in s.exercises if any(t.check == "grader" for t in e.tests)),
            fault=s.fault, isolation=s.isolation, seconds=s.seconds, nbgrader=s.nbgrader,
            not_submitted=s.not_submitted, graded_exercises=len(s.exercises),
        ))  # fmt: skip
    return sorted(rows, key=lambda row: (not row.needs_help, row.student))


# -- the command ------------------------------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("grades", type=Path, metavar="GRADES_DIR",
                        help="a batch's output folder (cnnkit grade CLASS --output GRADES_DIR) or an nbgrader course")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help=f"folder for {PAGE} (default: GRADES_DIR)")


def run(args: argparse.Namespace) -> int:
    """Read the reports, write the page; a folder without reports is a ``CommandError``."""
    folder: Path = args.grades
    if not folder.is_dir():
        raise CommandError(f"{folder} is not a folder")
    data = load(folder)
    if not data.submissions:
        raise CommandError(f"{folder} holds no grading reports (<student>.json from cnnkit grade CLASS --output "
                           f"{folder}) and is no nbgrader course")
    from cnnkit.grading.report_page import write_page  # matplotlib and Jinja2: only now

    page = write_page(data, args.out or folder)
    print(f"{len(data.graded)} of {len(data.submissions)} submissions graded; class report: {page}")
    return OK
