"""The exercise rules: the source check accepts the code students write and refuses each way around the rules;
the run-time detector's layers catch what reaches torch (in this process, with the source check bypassed);
a flagged exercise reads "flagged for review" in every report format.

Attacks graded end to end, one fixture per class, are in ``tests/hostile/`` (``test_hostile.py``).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from helpers import ALTERNATIVES_DIR, HOSTILE_DIR, build_submission, module_of, variant_files

from cnnkit import paths, spec
from cnnkit.course import build, stubgen
from cnnkit.grading import reports, rules
from cnnkit.grading.runner import grade_submission
from cnnkit.sandbox import detector
from cnnkit.sandbox.detector import ForbiddenDetector, input_histories, integrity_problems, returns_an_input


def findings(source: str, module: str = "ex2_conv2d") -> list[rules.Finding]:
    return rules.check_source(source, module).findings


# -- the source check accepts honest code --------------------------------------------------------------
@pytest.mark.parametrize("folder", [paths.SOLUTIONS_DIR, paths.EXERCISES_DIR], ids=["solutions", "stubs"])
def test_reference_and_stubs_pass_the_source_check(folder: Path):
    found = {e.module: rules.check_submission(folder, e.module) for e in spec.EXERCISES}
    assert {module: [f.describe() for f in items] for module, items in found.items() if items} == {}


@pytest.mark.parametrize("alternative", variant_files(ALTERNATIVES_DIR), ids=lambda path: path.stem)
def test_every_alternative_passes_the_source_check(alternative: Path, tmp_path: Path):
    module = module_of(alternative)
    submission = build_submission(tmp_path, {module: alternative.read_text()})
    assert [f.describe() for f in rules.check_submission(submission, module)] == []


HONEST = {
    "loops, helpers, f-strings, type hints": ("ex2_conv2d", '''
from __future__ import annotations
import math
import torch
import torch.nn.functional as F
from typing import Optional

def _pair(value: int | tuple[int, int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else tuple(value)

def conv2d(x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor] = None, stride=1, padding=0):
    sh, sw = _pair(stride)
    out = torch.zeros(x.shape[0], weight.shape[0], 3, 3, dtype=x.dtype)
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            window = x[:, :, i * sh:i * sh + weight.shape[2], j * sw:j * sw + weight.shape[3]]
            out[:, :, i, j] = torch.einsum("nchw,ochw->no", window, weight)
    assert out.dim() == 4, f"expected 4 axes, got {out.dim()} for {x.shape!r}"
    return out if bias is None else out + bias.view(1, -1, 1, 1) * math.prod((1,))
'''),
    "unfold, as_strided, einsum, numpy": ("ex2_conv2d", '''
import numpy as np
import torch

def conv2d(x, weight, bias=None, stride=1, padding=0):
    windows = x.unfold(2, weight.shape[2], 1).unfold(3, weight.shape[3], 1)
    strided = x.as_strided((1, 1, 2, 2), (16, 16, 4, 1))
    scale = float(np.sqrt(4.0))
    return torch.einsum("nchwuv,ocuv->nohw", windows, weight) * scale / 2 + 0 * strided.sum()
'''),
    "scatter_add, argmax, itertools, functools": ("ex11_pool_backward", '''
import functools
import itertools
import torch

@functools.lru_cache(maxsize=None)
def offsets(kh, kw):
    return list(itertools.product(range(kh), range(kw)))

def max_pool2d_backward(grad_out, x, kernel_size, stride=None, padding=0):
    flat = torch.zeros(x.numel(), dtype=x.dtype).scatter_add(0, x.flatten().argmax().view(1), grad_out.sum().view(1))
    return flat.view_as(x)
'''),
    "classes, super().__init__(), dataclasses, private attributes of its own": ("ex7_models", '''
from dataclasses import dataclass, field
import torch
from torch import nn
import torch.nn.init as init

@dataclass(frozen=True)
class Shape:
    channels: int
    sizes: list = field(default_factory=list)

class SmallCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self._cache = {}
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        init.zeros_(self.conv1.bias)

    def forward(self, x):
        layer = getattr(self, f"conv{1}")
        self._cache["last"] = type(self).__name__
        return layer(x)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"

def count_parameters(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)

if __name__ == "__main__":
    print(count_parameters(SmallCNN()))
'''),
    "the student's own earlier exercises, getattr on them, training imports": ("ex15_mnist", '''
import time
from collections.abc import Callable
import ex7_models
from ex8_training import train_model, evaluate_model
from torch.optim.lr_scheduler import ExponentialLR
import torch.utils.data

def compare_models(train_batches, test_batches, num_epochs=1, model_names=("PlainNN",), **options):
    started = time.perf_counter()
    models = {name: getattr(ex7_models, name)() for name in model_names}
    return {name: {"model": model, "train_seconds": time.perf_counter() - started} for name, model in models.items()}
'''),
    "own Functions with ctx attributes, a builtin shadowed by its own definition": ("ex13_own_cnn", '''
import torch
from ex2_conv2d import conv2d
from ex10_conv_backward import conv2d_backward

def compile(parts):
    return list(parts)

class Conv2dFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias, stride=1, padding=0):
        ctx.save_for_backward(x, weight)
        ctx._stride, ctx.padding = stride, padding
        return conv2d(x, weight, bias, stride, padding)

    @staticmethod
    def backward(ctx, grad_out):
        x, weight = ctx.saved_tensors
        return (*compile(conv2d_backward(grad_out, x, weight, ctx._stride, ctx.padding)), None, None)
'''),
}


@pytest.mark.parametrize("case", sorted(HONEST))
def test_the_source_check_accepts_the_code_students_write(case: str):
    module, source = HONEST[case]
    assert [f.describe() for f in findings(source, module)] == []


# -- the source check refuses the ways around the rules ---------------------------------------------------
REFUSED = [
    # (the construct, the exercise, the rule, the construct the finding names)
    ("import os", "ex1_output_size", rules.IMPORT, "import os"),
    ("import sys\nsys.modules['torch']", "ex1_output_size", rules.IMPORT, "import sys"),
    ("import importlib", "ex2_conv2d", rules.IMPORT, "import importlib"),
    ("import torch.optim", "ex2_conv2d", rules.IMPORT, "import torch.optim"),
    ("import ex13_own_cnn", "ex2_conv2d", rules.IMPORT, "import ex13_own_cnn"),
    ("import helpers", "ex2_conv2d", rules.IMPORT, "import helpers"),
    ("from . import ex1_output_size", "ex2_conv2d", rules.IMPORT, "from . import"),
    ("from torch import *", "ex2_conv2d", rules.IMPORT, "from torch import *"),
    ("import torch\ntorch.sys.modules", "ex2_conv2d", rules.IMPORT, "torch.sys"),
    ("import torch.nn.functional as F\nF.importlib.import_module('os')", "ex2_conv2d", rules.IMPORT,
     "torch.nn.functional.importlib"),
    ("import torch\n[torch][0].builtins", "ex2_conv2d", rules.IMPORT, "[torch][0].builtins"),
    ("import cnnkit.spec", "ex2_conv2d", rules.KIT, "import cnnkit.spec"),
    ("from cnnkit import spec", "ex2_conv2d", rules.KIT, "from cnnkit import spec"),
    ("import ctypes", "ex2_conv2d", rules.ESCAPE, "ctypes"),
    ("import torch\ntorch._C.DisableTorchFunction()", "ex2_conv2d", rules.PRIVATE, "torch._C"),
    ("from torch import _C", "ex2_conv2d", rules.PRIVATE, "torch._C"),
    ("import torch\ntorch.autograd.Variable._execution_engine", "ex12_softmax_ce_backward", rules.PRIVATE,
     "torch.autograd.Variable._execution_engine"),
    ("import torch\nx = torch.ones(1)\nx._version", "ex2_conv2d", rules.PRIVATE, "x._version"),
    ("import torch\ntorch.ops.aten.convolution", "ex2_conv2d", rules.ESCAPE, "torch.ops"),
    ("import torch\ntorch.library.custom_op", "ex2_conv2d", rules.ESCAPE, "torch.library"),
    ("import torch\n@torch.jit.script\ndef f(x):\n    return x", "ex2_conv2d", rules.ESCAPE, "torch.jit"),
    ("import torch\ntorch.func.jacfwd", "ex10_conv_backward", rules.ESCAPE, "torch.func"),
    ("import torch\ntorch.vmap", "ex10_conv_backward", rules.ESCAPE, "torch.vmap"),
    ("import functorch", "ex10_conv_backward", rules.ESCAPE, "functorch"),
    ("import torch.autograd.forward_ad as fwAD", "ex12_softmax_ce_backward", rules.ESCAPE, "torch.autograd.forward_ad"),
    ("from torch.overrides import TorchFunctionMode", "ex2_conv2d", rules.ESCAPE, "torch.overrides"),
    ("import torch\ntorch.utils._python_dispatch", "ex2_conv2d", rules.PRIVATE, "torch.utils._python_dispatch"),
    ("import torch\ntorch.compile", "ex2_conv2d", rules.ESCAPE, "torch.compile"),
    ("import torch\ntorch.load('w.pt', weights_only=False)", "ex7_models", rules.ESCAPE, "torch.load"),
    ("import numpy as np\nnp.ctypeslib", "ex2_conv2d", rules.ESCAPE, "numpy.ctypeslib"),
    ("import torch.nn.functional as F\nF.torch.jit", "ex2_conv2d", rules.ESCAPE, "torch.jit"),
    ("import torch\n[torch][0].jit", "ex2_conv2d", rules.ESCAPE, "[torch][0].jit"),
    ("exec('x = 1')", "ex2_conv2d", rules.CODE_FROM_STRINGS, "exec"),
    ("eval('1')", "ex2_conv2d", rules.CODE_FROM_STRINGS, "eval"),
    ("eval = eval", "ex2_conv2d", rules.CODE_FROM_STRINGS, "eval"),
    ("compile('1', 'f', 'eval')", "ex2_conv2d", rules.CODE_FROM_STRINGS, "compile"),
    ("__import__('os')", "ex2_conv2d", rules.CODE_FROM_STRINGS, "__import__"),
    ("def eval():\n    pass\ndel eval", "ex2_conv2d", rules.CODE_FROM_STRINGS, "eval"),
    ("import typing\ntyping.get_type_hints(f)", "ex2_conv2d", rules.CODE_FROM_STRINGS, "typing.get_type_hints"),
    ("globals()['x']", "ex2_conv2d", rules.INTROSPECTION, "globals"),
    ("import torch\nvars(torch)", "ex2_conv2d", rules.INTROSPECTION, "vars"),
    ("import torch\ntorch.__dict__", "ex2_conv2d", rules.INTROSPECTION, "torch.__dict__"),
    ("__builtins__['eval']", "ex2_conv2d", rules.INTROSPECTION, "__builtins__"),
    ("def f():\n    pass\nf.__globals__", "ex2_conv2d", rules.INTROSPECTION, "f.__globals__"),
    ("().__class__.__base__.__subclasses__()", "ex2_conv2d", rules.INTROSPECTION, "__base__"),
    ("def f():\n    pass\nf.__code__", "ex2_conv2d", rules.INTROSPECTION, "f.__code__"),
    ("import torch\ngetattr(torch, 'co' + 'nv2d')", "ex2_conv2d", rules.COMPUTED_NAME, "getattr(torch, 'co' + 'nv2d')"),
    ("import torch\ngetattr(torch, '_C')", "ex2_conv2d", rules.PRIVATE, "torch._C"),
    ("import functools, torch\nfunctools.reduce(getattr, ['nn'], torch)", "ex2_conv2d", rules.COMPUTED_NAME,
     "getattr"),
    ("import torch\nsetattr(torch, 'allclose', None)", "ex2_conv2d", rules.PATCH, "setattr(torch"),
    ("import torch\ntorch.allclose = None", "ex2_conv2d", rules.PATCH, "torch.allclose"),
    ("import torch.nn.functional as F\nF.interpolate.__name__ = 'x'", "ex3_pooling", rules.PATCH,
     "F.interpolate.__name__"),
    ("import torch\nclass T(torch.Tensor):\n    def __torch_function__(self, *a):\n        pass", "ex2_conv2d",
     rules.TORCH_HOOK, "def __torch_function__"),
    ("import numpy as np\nnp.tanh", "ex4_activations", rules.NOT_TORCH_FORBIDDEN, "numpy.tanh"),
    ("from math import tanh", "ex4_activations", rules.NOT_TORCH_FORBIDDEN, "math.tanh"),
    ("import numpy as np\nnp.convolve", "ex2_conv2d", rules.NOT_TORCH_FORBIDDEN, "numpy.convolve"),
    ("from torch.nn.utils import clip_grad_norm_ as clip", "ex14_troubleshooting", rules.FORBIDDEN_IMPORT,
     "torch.nn.utils.clip_grad_norm_"),
]


@pytest.mark.parametrize("source, module, rule, construct", REFUSED, ids=[case[0][:50] for case in REFUSED])
def test_the_source_check_refuses_each_way_around_the_rules(source: str, module: str, rule: rules.Rule,
                                                             construct: str):
    found = findings(source, module)
    assert any(f.rule == rule and construct in f.construct for f in found), [f.describe() for f in found]
    finding = next(f for f in found if f.rule == rule)
    described = finding.describe()
    assert described.startswith(f"{module}.py line {finding.line}: `") and rule.name in described
    assert rule.advice in described  # what to write instead


def test_a_finding_names_file_line_construct_rule_and_advice():
    source = "import torch\n\n\ndef conv2d(x, w):\n    with torch._C.DisableTorchFunction():\n        return x\n"
    [finding] = findings(source)
    assert (finding.file, finding.line, finding.construct, finding.status) == ("ex2_conv2d.py", 5, "torch._C", "flagged")
    assert finding.describe() == (
        "ex2_conv2d.py line 5: `torch._C` is a private or internal API of torch or another library (a name starting "
        "with _); use torch's public functions")


def test_numpy_and_math_functions_the_exercise_forbids_are_forbidden_not_flagged():
    found = findings("import numpy as np\nnp.tanh", "ex4_activations")
    assert rules.exercise_status(found) == "forbidden"
    assert findings("import numpy as np\nnp.tanh", "ex2_conv2d") == []  # tanh is fine in exercise 2
    assert rules.exercise_status(found + findings("import os")) == "flagged"  # flagged comes first
    # A module outside the allow-list, imported for a function the exercise forbids: that function is the slip.
    assert rules.exercise_status(findings("from torch.nn.utils import clip_grad_norm_", "ex14_troubleshooting")) == (
        "forbidden")
    assert findings("from torch.nn import Conv2d", "ex13_own_cnn") == []  # an allowed module: its names are fine


def test_unparsable_source_gives_no_finding_the_import_error_says_it():
    assert findings("def conv2d(x:\n    return x") == []


def test_the_check_follows_the_earlier_exercises_an_exercise_imports(tmp_path: Path):
    """Run with the student's own ex2 (students: no reference here), ex13 is flagged by a flagged ex2, ex2's file
    named; each file under its own exercise's rules."""
    submission = build_submission(tmp_path, {"ex2_conv2d": "import torch\ntorch._C\n",
                                             "ex8_training": "import torch.optim\n"})  # allowed in ex8 itself
    found = rules.check_submission(submission, "ex13_own_cnn")
    assert [(f.file, f.construct) for f in found] == [("ex2_conv2d.py", "torch._C")]
    assert rules.check_submission(submission, "ex15_mnist") == []  # imports ex7 and ex8, not ex2
    # Graded with the reference versions of what it builds on (spec builds_on), ex13 does not run the student's ex2.
    assert rules.check_submission(submission, "ex13_own_cnn", given=spec.exercise("ex13_own_cnn").depends_on) == []


def test_a_symbolic_link_is_not_read(tmp_path: Path):
    (tmp_path / "elsewhere.py").write_text("import os\n")
    (tmp_path / "ex2_conv2d.py").symlink_to(tmp_path / "elsewhere.py")
    assert rules.check_submission(tmp_path, "ex2_conv2d") == []  # the sandbox refuses the link with its own message


# -- the allow-list is stated where students read --------------------------------------------------------
@pytest.mark.parametrize("module", [e.module for e in spec.EXERCISES])
def test_the_stub_header_and_the_notebook_lesson_state_the_imports(module: str):
    sentence = spec.imports_sentence(module)
    assert all(name in sentence for name in spec.exercise(module).imports)
    header = " ".join(line.lstrip("# ").strip() for line in stubgen._header(module))
    assert " ".join(sentence.split()) in " ".join(header.split())
    assert sentence in build.lesson_cell(module, f"Exercise {spec.exercise(module).number}: x").source


def test_imports_allowed_per_exercise():
    assert spec.may_import("ex2_conv2d", "torch.nn.functional") and not spec.may_import("ex2_conv2d", "torch.optim")
    assert spec.may_import("ex15_mnist", "torch.optim.lr_scheduler") and spec.may_import("ex15_mnist", "ex7_models")
    assert spec.may_import("ex7_models", "ex5_dropout")  # any earlier exercise: the student's own work
    assert not spec.may_import("ex7_models", "ex8_training") and not spec.may_import("ex1_output_size", "os")


# -- the run-time detector, in this process (no source check) ----------------------------------------------
def _run(module: str, function) -> ForbiddenDetector:
    """``function()`` under ``module``'s detector; the detector afterwards (what it recorded)."""
    watched = ForbiddenDetector(module)
    try:
        with watched:
            function()
    except (detector.ForbiddenAPIError, detector.TamperingError, RuntimeError):
        pass
    return watched


X, W = torch.randn(1, 1, 5, 5), torch.randn(1, 1, 3, 3)


def test_the_operator_layer_sees_what_no_torch_function_names():
    """F.interpolate(mode="area") is average pooling: the call is named "interpolate", the operator under it is not."""
    assert _run("ex3_pooling", lambda: F.interpolate(X, size=(2, 2), mode="area")).calls == [
        "aten._adaptive_avg_pool2d (the operator under a torch call)"]
    assert _run("ex3_pooling", lambda: F.interpolate(X, size=(10, 10), mode="nearest")).calls == []


def test_aliases_are_forbidden_with_what_they_compute():
    calls = _run("ex4_activations", lambda: F.glu(torch.stack([torch.ones_like(X), X], -1), -1)).calls
    assert calls == ["torch.nn.functional.glu (F.glu([a, b]) = a * sigmoid(b): a sigmoid)"]


def test_switching_the_function_layer_off_is_tampering():
    def disabled():
        with torch._C.DisableTorchFunction():
            F.conv2d(X, W)

    def popped():
        mode = torch._C._pop_torch_function_stack()
        try:
            F.conv2d(X, W)
        finally:
            torch._C._push_on_torch_function_stack(mode)

    for attack in (disabled, popped):
        watched = _run("ex2_conv2d", attack)
        assert watched.tampering == ["torch calls made with the rules' detector removed from torch's mode stack "
                                     "or disabled"], attack.__name__
        assert watched.calls == ["aten.convolution (the operator under a torch call)"]  # the slip, reported too
    assert integrity_problems() == []  # the stacks were left as found


def test_retargeting_and_custom_operators_are_tampering():
    def retarget():
        torch._C._get_function_stack_at(0).module = "ex1_output_size"
        F.conv2d(X, W)

    assert _run("ex2_conv2d", retarget).tampering == ["the rules' detector retargeted to another exercise"]

    @torch.library.custom_op("cnnkit_test::double", mutates_args=())
    def double(x: torch.Tensor) -> torch.Tensor:
        return x * 2

    tampering = _run("ex4_activations", lambda: double(X)).tampering
    assert tampering and "a custom operator cnnkit_test::double" in tampering[0]


def _scripted_conv(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    return torch.conv2d(x, w)


def test_torchscript_calls_reach_the_operator_layer():
    scripted = torch.jit.script(_scripted_conv)
    assert _run("ex2_conv2d", lambda: scripted(X, W)).calls == ["aten.convolution (the operator under a torch call)"]


def test_forward_mode_ad_and_torch_func_are_autograd_where_autograd_is_forbidden():
    x = torch.randn(3, dtype=torch.float64)
    jacfwd = _run("ex10_conv_backward", lambda: torch.func.jacfwd(lambda a: (a * a).sum())(x))
    assert jacfwd.calls == ["torch.func's transforms (jacfwd, jacrev, jvp, vjp, grad, vmap) around your computation"]

    def dual():
        with torch.autograd.forward_ad.dual_level():
            torch.autograd.forward_ad.make_dual(x, torch.ones_like(x))

    assert _run("ex12_softmax_ce_backward", dual).calls == ["torch._make_dual"]
    assert _run("ex2_conv2d", dual).calls == []  # exercise 2 does not forbid autograd


def test_a_call_that_returns_its_input_records_no_graph():
    """Issue 21: .contiguous() of a contiguous tensor, .to() its own dtype, .cpu(), .double() of float64, .type_as():
    the same tensor, no graph recorded, not refused where autograd is; a real operation on it is."""
    y = torch.randn(3, dtype=torch.float64, requires_grad=True) * 1
    same = (lambda: y.contiguous(), lambda: y.to(torch.float64), lambda: y.cpu(), lambda: y.double(),
            lambda: y.type_as(y))
    for call in same:
        assert returns_an_input(call(), input_histories((y,), {}))
        assert _run("ex12_softmax_ce_backward", call).calls == []
    assert not returns_an_input(y.exp(), input_histories((y,), {}))
    assert _run("ex12_softmax_ce_backward", lambda: y.exp()).calls == [
        "autograd (a graph recorded through exp, from inputs with requires_grad)"]
    # In place, the input comes back with a new grad_fn: that call recorded a graph (one helper, shared with ex13).
    z = y * 1
    assert _run("ex12_softmax_ce_backward", lambda: z.mul_(2)).calls == [
        "autograd (a graph recorded through mul_, from inputs with requires_grad)"]


def test_honest_work_under_the_detector_raises_nothing():
    """Printing tensors (torch pops the dispatch modes to format them), a training step (the optimizer records
    profiler ranges), a module's forward and backward: nothing recorded."""
    model = torch.nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

    def work():
        print(X.sum(), f"{X.mean():.2f}")
        loss = model(torch.randn(3, 4)).pow(2).mean()
        loss.backward()
        optimizer.step()
        X.unfold(2, 3, 1).unfold(3, 3, 1).contiguous().view(1, 1, 3, 3, 9).amax(-1)

    watched = _run("ex2_conv2d", work)  # both layers on (exercise 2 forbids convolutions only)
    assert (watched.calls, watched.tampering, integrity_problems(watched)) == ([], [], [])


def test_integrity_notices_what_the_detector_relies_on_replaced(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(spec, "is_forbidden", lambda module, name: False)
    assert "cnnkit.spec.is_forbidden replaced" in integrity_problems()
    monkeypatch.undo()
    exercise = spec.BY_MODULE["ex2_conv2d"]
    monkeypatch.setitem(spec.BY_MODULE, "ex2_conv2d", spec.Exercise(exercise.module, exercise.title, exercise.functions))
    assert integrity_problems() == ["the rules of ex2_conv2d in cnnkit.spec changed"]
    monkeypatch.undo()
    assert integrity_problems() == []


def test_integrity_notices_a_mode_left_behind_and_torch_functions_left_disabled():
    leftover = ForbiddenDetector("ex1_output_size")
    torch._C._push_on_torch_function_stack(leftover)
    try:
        assert integrity_problems() == ["a mode left on torch's mode stacks between calls"]
    finally:
        torch._C._pop_torch_function_stack()
    disabled = torch._C.DisableTorchFunction()
    disabled.__enter__()
    try:
        assert integrity_problems() == ["torch functions or torch's Python dispatch left disabled between calls"]
    finally:
        disabled.__exit__(None, None, None)
    assert integrity_problems() == []


# -- the flagged status in every report format ----------------------------------------------------------
def test_a_flagged_exercise_reads_flagged_for_review_in_every_format(tmp_path: Path):
    fixture = HOSTILE_DIR / "ex2_conv2d__disable_torch_function.py"
    submission = build_submission(tmp_path / "submission", {"ex2_conv2d": fixture.read_text()})
    report = grade_submission(submission, exercises=["ex1_output_size", "ex2_conv2d"])
    flags = next(e for e in report["exercises"] if e["module"] == "ex2_conv2d")["flags"]
    assert flags and flags[0].startswith("ex2_conv2d.py line ") and "`torch._C`" in flags[0]
    assert "flagged for review: ex2_conv2d.py line" in reports.to_text(report)
    gradescope = reports.to_gradescope(report)
    assert "flagged for review: ex2_conv2d.py line" in gradescope["output"]
    flagged = [t for t in gradescope["tests"] if t["name"].startswith("ex2_conv2d")]
    assert all(t["score"] == 0 and "[flagged]" in t["output"] and "flagged for review" in t["output"] for t in flagged)
    assert json.loads(reports.to_json(report))["exercises"][1]["flags"] == flags
    reports.write_gradebook(tmp_path / "gradebook.csv", {"alice": report}, {})
    [row] = list(csv.DictReader((tmp_path / "gradebook.csv").open()))
    assert row["ex2_conv2d"] == "0" and float(row["ex1_output_size"]) == 5
    assert row["flags"].startswith("ex2_conv2d: ex2_conv2d.py line ")


def test_a_submission_refused_before_it_ran_is_graded_under_required_isolation(tmp_path: Path):
    """No worker starts for an exercise the source check refuses, so no isolation is measured: with
    ``--require-isolation`` that is still a grade (0, flagged), not a refusal to grade (nbgrader grades one
    exercise per notebook)."""
    fixture = HOSTILE_DIR / "ex2_conv2d__disable_torch_function.py"
    submission = build_submission(tmp_path / "submission", {"ex2_conv2d": fixture.read_text()})
    report = grade_submission(submission, exercises=["ex2_conv2d"], require_isolation="strong")
    assert report["isolation"] is None and report["score"] == 0 < report["max_score"]
    assert {t["status"] for e in report["exercises"] for t in e["tests"]} == {"flagged"}



def test_a_function_cleared_once_is_remembered_but_a_forbidden_one_is_refused_at_every_call():
    """The function layer judges a function's name once; what it remembers cannot change a verdict: a forbidden
    call is refused every time, an allowed one is remembered by identity, a property's getter (a new object at
    each access) is never remembered, and the memory is bounded."""
    watched = ForbiddenDetector("ex2_conv2d")
    for _ in range(3):
        with pytest.raises(detector.ForbiddenAPIError), watched:
            F.conv2d(X, W)
    assert watched.calls == ["torch.conv2d"] * 3
    matrix = torch.randn(3, 3)
    with watched:
        for _ in range(50):
            matrix.add(matrix), matrix.T, matrix.sum()
    assert sorted(f.__name__ for f in watched.cleared.values()) == ["add", "sum"]
    assert detector.MAX_CLEARED >= 256


def test_the_remembered_functions_are_bounded(monkeypatch):
    monkeypatch.setattr(detector, "MAX_CLEARED", 1)
    watched = ForbiddenDetector("ex1_output_size")
    with watched:
        X.add(X), X.sum(), X.mean()
    assert len(watched.cleared) == 1
