"""Exercise 14's grading helpers (``cnnkit.curriculum.ex14_troubleshooting``) say what the contract says.

The graders build inputs whose right answer they know (curves made to show a diagnosis, curves that
stall, images moved by a known offset) and check the student against it; here those constructions are
checked against the reference solution, in process, on many more examples than grading draws.
"""

from __future__ import annotations

import importlib
import inspect
import json
import math
import sys
import warnings

import pytest
import torch
from hypothesis import given, settings
from torch import nn

from cnnkit import paths
from cnnkit.curriculum import ex14_troubleshooting as trouble
from cnnkit.grading.plugin import load_reference
from cnnkit.sandbox.detector import ForbiddenAPIError

MANY = settings(max_examples=300, deadline=None, derandomize=True)


def _public_grader():  # noqa: ANN202 - a module
    """The public grader, whose checks these tests reuse (outside a grading run its points marks are unknown)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
        return importlib.import_module("graders.test_ex14_troubleshooting")


GRADER = _public_grader()
WORKED_STOPPING, check_stopping = GRADER.WORKED_STOPPING, GRADER.check_stopping


@pytest.fixture(scope="module")
def ref():
    return load_reference(trouble.MODULE)


def test_thresholds_are_the_reference_signatures_defaults(ref):
    defaults = {name: parameter.default for name, parameter in inspect.signature(ref.diagnose).parameters.items()
                if parameter.kind is inspect.Parameter.KEYWORD_ONLY}
    assert defaults == trouble.THRESHOLDS.__dict__
    assert ref.DIAGNOSES == trouble.DIAGNOSES


@pytest.mark.parametrize("label", trouble.DIAGNOSES)
def test_made_curves_show_their_label(ref, label):
    @MANY
    @given(curves=trouble.made_curves(label))
    def check(curves):
        assert ref.diagnose(*curves.arguments()) == label, curves

    check()


def test_recorded_runs_are_diagnosed_as_labelled_and_cover_every_diagnosis(ref):
    runs = trouble.recorded_runs()
    assert {curves.label for _, curves in runs} == set(trouble.DIAGNOSES)
    for name, curves in runs:
        assert ref.diagnose(*curves.arguments()) == curves.label, name
    document = json.loads(trouble.RECORDED_PATH.read_text())
    sys.path.insert(0, str(paths.ROOT / "scripts"))
    try:
        from record_diagnosis_curves import RUNS
    finally:
        sys.path.remove(str(paths.ROOT / "scripts"))
    assert [(run["name"], run["label"]) for run in document["runs"]] == [(run.name, run.label) for run in RUNS]


@MANY
@given(example=trouble.stall_cases())
def test_stall_cases_expect_what_the_reference_does(example):
    case, expected = example
    reference = load_reference(trouble.MODULE)
    got = trouble.drive_stopping(lambda: reference.EarlyStopping(**case.settings), case.metrics)
    check_stopping(got, expected, case)


@pytest.mark.parametrize("example", WORKED_STOPPING, ids=lambda example: getattr(example, "mistake", ""))
def test_worked_stopping_examples_are_right(ref, example):
    case, expected = example
    check_stopping(trouble.drive_stopping(lambda: ref.EarlyStopping(**case.settings), case.metrics), expected,
                           case)


def test_expected_from_losses_restates_the_contract(ref):
    losses = [1.0, 0.7, 0.72, 0.65, 0.66, 0.7, 0.8]
    expected = trouble.expected_from_losses(losses, 3)
    assert expected == trouble.Expected([False] * 6 + [True], 0.65, 4)
    got = trouble.drive_stopping(lambda: ref.EarlyStopping(patience=3), losses)
    assert (got["decisions"], got["best"], got["best_epoch"], got["state_epoch"]) == (expected.decisions, 0.65, 4, 4)


def test_translate_is_the_worked_example_and_recover_finds_the_reference_offsets(ref):
    image = torch.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    assert trouble.translate(image, 1, -1, 0.0).tolist() == [[[[0, 0, 0], [2, 3, 0], [5, 6, 0]]]]
    case = trouble.ShiftCase(batch=50, channels=2, height=6, width=5, max_shift=2, seed=1, fill=-0.5)
    images = case.images()
    moved = ref.random_shift(images, 2, torch.Generator().manual_seed(0), fill=-0.5)
    found = trouble.recover_offsets(images, moved, 2, -0.5)
    assert None not in found and len(set(found)) > 5
    # Without a border of fill, rolling (the wrap-around mistake) is no translation; with one, it is.
    no_border = trouble.ShiftCase(batch=4, channels=1, height=5, width=5, max_shift=1, seed=2, border=False).images()
    assert trouble.recover_offsets(no_border, trouble.rolled(no_border, 1, 1, 0.0), 1, 0.0) == [None] * 4
    assert trouble.recover_offsets(images, trouble.rolled(images, 1, 1, 0.0), 2, -0.5) == [(1, 1)] * 50


def test_made_shift_cases_have_a_border_of_fill():
    case = trouble.ShiftCase(batch=3, channels=1, height=7, width=6, max_shift=2, seed=0, fill=1.5)
    images = case.images()
    assert bool((images[..., :2, :] == 1.5).all() and (images[..., :, -2:] == 1.5).all())
    assert not bool((images[..., 2:5, 2:4] == 1.5).any())


class _Detector:
    calls: list[str]

    def __init__(self) -> None:
        self.calls = []


@pytest.mark.parametrize("name", ["clip_grad_norm_", "clip_grad_value_"])
def test_torch_clipping_is_seen_under_any_name(name):
    alias = getattr(torch.nn.utils, name)
    parameter = nn.Parameter(torch.zeros(2))
    parameter.grad = torch.ones(2)
    detector = _Detector()
    with pytest.raises(ForbiddenAPIError), trouble.watch_torch_python_functions(detector):
        alias([parameter], 0.5)
    assert detector.calls == [f"torch.nn.utils.{name}"]
    assert parameter.grad.tolist() == [1.0, 1.0]
    assert sys.getprofile() is None


def test_own_clipping_is_not_seen(ref):
    parameter = nn.Parameter(torch.zeros(2))
    parameter.grad = torch.tensor([3.0, 4.0])
    detector = _Detector()
    with trouble.watch_torch_python_functions(detector):
        total = ref.clip_grad_norm([parameter], 1.0)
    assert detector.calls == [] and math.isclose(float(total), 5.0)


@given(case=trouble.clip_cases(containers=("list", "generator", "tensor")))
@settings(max_examples=50, deadline=None, derandomize=True)
def test_clip_cases_keep_max_norm_away_from_the_norm(case):
    norm = trouble.total_norm(case.tensors()[1], case.norm_type)
    assert norm == 0 or not 0.99 < case.max_norm / norm < 1.01
    assert case.container != "tensor" or len(case.shapes) == 1


@given(curves=trouble.random_curves())
@settings(max_examples=50, deadline=None, derandomize=True)
def test_random_curves_pass_thresholds_in_their_ranges(curves):
    t = curves.thresholds
    assert t is not None and 2 <= t.gap <= 40 and 0.05 <= t.rise <= 1 and 40 <= t.low_accuracy <= 99
    assert set(curves.keywords()) == set(trouble.THRESHOLDS.__dict__)
