"""The class report's page: one self-contained HTML file, figures by matplotlib, the page by Jinja2.

The page makes no request of its own: the figures are SVG inside ``data:`` URIs (text drawn as
paths, no fonts to fetch), the style is inline, there is no script, and a Content-Security-Policy
forbids anything else, so it opens from a file, offline, and cannot leak the class to a CDN.
The numbers come from ``cnnkit.grading.classreport``; this module only draws and lays them out.
"""

from __future__ import annotations

import base64
import io
import textwrap
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from cnnkit.grading import classreport as model
from cnnkit.grading.classreport import CheckRate, ClassData, CommonMistake, ScoreSummary

TEMPLATE = "class_report.html.j2"
TOP_CHECKS = 20  # bars in the checks figure (the table lists every failed check)
TOP_MISTAKES = 15
#: Colours: one meaning each, the same in every figure and in the page's style.
COLORS = {"public": "#4c72b0", "hidden": "#8172b3", "stands_out": "#c44e52", "mean": "#c44e52",
          "median": "#222222", "full": "#55a868", "partial": "#8fbcdb", "zero": "#dd8452",
          "not_started": "#bbbbbb", "abnormal": "#c44e52"}  # fmt: skip


def _data_uri(figure: Figure) -> str:
    """The figure as an SVG ``data:`` URI (text as paths: the page needs no font)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _wrap(text: str, width: int) -> str:
    return textwrap.shorten(text, width=width, placeholder="…")


def score_figure(summaries: Sequence[ScoreSummary]) -> str:
    """Histograms of the total and of each exercise, mean (dashed) and median (dotted) marked."""
    columns = min(4, len(summaries))
    rows = -(-len(summaries) // columns)
    figure = Figure(figsize=(3.2 * columns, 2.4 * rows), layout="constrained")
    for index, summary in enumerate(summaries):
        axes = figure.add_subplot(rows, columns, index + 1)
        top = summary.max_score or 1.0
        axes.hist(summary.scores, bins=10, range=(0, top), color=COLORS["public"], edgecolor="white")
        axes.axvline(summary.mean, color=COLORS["mean"], linestyle="--", linewidth=1.5, label="mean")
        axes.axvline(summary.median, color=COLORS["median"], linestyle=":", linewidth=1.5, label="median")
        axes.set_xlim(0, top)
        axes.set_title(_wrap(summary.label, 34), fontsize=9, fontweight="bold" if not summary.module else "normal")
        axes.set_xlabel(f"points (of {round(summary.max_score, 2):g})", fontsize=8)
        axes.set_ylabel("students", fontsize=8)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))  # students: whole numbers
        axes.tick_params(labelsize=7)
        if index == 0:
            axes.legend(fontsize=7, frameon=False)
    return _data_uri(figure)


def outcome_figure(data: ClassData) -> str:
    """Per exercise, how many students got full marks, some points, none, did not start, or did not run normally."""
    modules = data.modules
    kinds = [("full", "full marks"), ("partial", "some points"), ("zero", "0 points, attempted"),
             ("not_started", "not started"), ("abnormal", "zeroed whole (forbidden, flagged, error, timeout)")]
    counts = {kind: [0] * len(modules) for kind, _ in kinds}
    for submission in data.graded:
        for index, module in enumerate(modules):
            exercise = submission.exercise(module)
            if exercise is not None:
                counts[_outcome(exercise)][index] += 1
    figure = Figure(figsize=(9, 0.45 * len(modules) + 1.2), layout="constrained")
    axes = figure.add_subplot()
    labels = [_wrap(model.exercise_label(module), 40) for module in modules]
    left = [0] * len(modules)
    for kind, label in kinds:
        axes.barh(labels, counts[kind], left=left, color=COLORS[kind], label=label, edgecolor="white")
        left = [a + b for a, b in zip(left, counts[kind], strict=True)]
    axes.invert_yaxis()
    axes.set_xlabel("students")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend(fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.6 / len(modules)),
                ncols=3)
    return _data_uri(figure)


def _outcome(exercise: model.ExerciseOutcome) -> str:
    if exercise.not_started:
        return "not_started"
    if not exercise.ran_normally:
        return "abnormal"
    if exercise.max_score and exercise.score >= exercise.max_score - 1e-6:
        return "full"
    return "partial" if exercise.score > 0 else "zero"


def checks_figure(rates: Sequence[CheckRate]) -> str:
    """The most failed checks: share of those who attempted the exercise; the ones that stand out in red."""
    shown = list(rates[:TOP_CHECKS])
    figure = Figure(figsize=(9, 0.32 * len(shown) + 1.0), layout="constrained")
    axes = figure.add_subplot()
    labels = [f"{model.short(r.module)} {_wrap(r.check, 48)}" + (" (hidden)" if r.visibility == "hidden" else "")
              for r in shown]
    colors = [COLORS["stands_out"] if r.stands_out else COLORS[r.visibility] for r in shown]
    bars = axes.barh(labels, [100 * r.share for r in shown], color=colors)
    axes.bar_label(bars, labels=[f"{r.failing}/{r.attempted}" for r in shown], fontsize=7, padding=2)
    axes.invert_yaxis()
    axes.set_xlim(0, 110)
    axes.set_xlabel("% of the students who attempted the exercise failing the check")
    axes.tick_params(axis="y", labelsize=8)
    return _data_uri(figure)


def mistakes_figure(mistakes: Sequence[CommonMistake]) -> str:
    """The most common mistakes: students who made each."""
    shown = list(mistakes[:TOP_MISTAKES])
    figure = Figure(figsize=(9, 0.36 * len(shown) + 1.0), layout="constrained")
    axes = figure.add_subplot()
    labels = [f"{model.short(m.module)}: {_wrap(m.label, 70)}" for m in shown]
    bars = axes.barh(labels, [m.students for m in shown], color=COLORS["zero"])
    axes.bar_label(bars, labels=[f"{m.students}/{m.attempted}" for m in shown], fontsize=7, padding=2)
    axes.invert_yaxis()
    axes.set_xlabel("students (of those who attempted the exercise)")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.tick_params(axis="y", labelsize=8)
    return _data_uri(figure)


def _environment() -> Environment:
    environment = Environment(loader=PackageLoader("cnnkit.grading", "templates"), autoescape=select_autoescape(
        default=True, default_for_string=True), undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.filters.update(
        short=model.short, label=model.exercise_label,
        points=lambda value: "" if value is None else f"{round(float(value), 2):g}",
        percent=lambda value: "" if value is None else f"{100 * value:.0f}%",
    )  # fmt: skip
    return environment


def render_page(data: ClassData, generated: datetime | None = None) -> str:
    """The page's HTML for ``data``."""
    summaries = model.score_summaries(data)
    rates = model.check_rates(data)
    mistakes = model.common_mistakes(data)
    rows = model.help_rows(data)
    graded = bool(data.graded)
    figures = {
        "scores": score_figure(summaries) if graded else "",
        "outcomes": outcome_figure(data) if graded and data.modules else "",
        "checks": checks_figure(rates) if rates else "",
        "mistakes": mistakes_figure(mistakes) if mistakes else "",
    }
    attempted = [s for s in summaries[1:] if s.attempted_mean_share is not None]
    weakest = min(attempted, key=lambda s: s.attempted_mean_share or 0.0, default=None)
    return _environment().get_template(TEMPLATE).render(
        data=data, summaries=summaries, rates=rates, mistakes=mistakes, rows=rows, statuses=data.statuses,
        figures=figures, weakest=weakest, standouts=[r for r in rates if r.stands_out],
        needing_help=[row for row in rows if row.needs_help], colors=COLORS,
        generated=(generated or datetime.now()).strftime("%Y-%m-%d %H:%M"),
        thresholds=(model.STANDS_OUT_SHARE, model.QUIET_EXERCISE_SHARE, model.STANDS_OUT_STUDENTS),
    )  # fmt: skip


def write_page(data: ClassData, out_dir: Path) -> Path:
    """Write ``out_dir/report.html`` and return its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    page = out_dir / model.PAGE
    page.write_text(render_page(data), encoding="utf-8")
    return page
