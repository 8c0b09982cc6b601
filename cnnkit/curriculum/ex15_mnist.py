"""Exercise 15 (``compare_models``): its worker operation, and the checks its public and hidden graders share.

The trained models are measured, not taken at their word. ``compare_models_measured`` runs the
student's ``compare_models`` in the worker and sends back, for each model it returns, what the kit
needs to judge it: the parameters' names, shapes and trainability, the trained weights, the weights
the model started from (rebuilt with the contract's seed), and, for the public checks, the logits
the returned model gives on the grader's probe batches. The trusted side then counts the
parameters itself, measures accuracy and loss itself, and checks that training moved every weight,
downhill, and no farther than the optimizer can reach.

* Public checks (no reference on a student's machine): the logits come from the returned model,
  run by the kit in the worker (eval mode, no gradients).
* Hidden checks: the trusted process loads the returned weights into the reference ex7 model
  (``kit_logits``) and runs it itself: no code of the student's takes part in the measurement.
  Only a model whose parameters do not fit the reference (names or shapes: exercise 7's mistake,
  already graded there) is run in the worker instead, so that ex14 does not charge it again.

Accuracy only has to clear a generous bar (10 % is chance): training on the embedded sample is noisy.
"""

from __future__ import annotations

import importlib
import math
import pickle
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from cnnkit import spec
from cnnkit.curriculum.ex7_models import load_by_name
from cnnkit.grading.checks import fail
from cnnkit.grading.hints import HintText
from cnnkit.mnist.data import Batches
from cnnkit.sandbox.ops import op, student_attribute
from cnnkit.sandbox.wire import Foreign

WHAT = "ex15_mnist.compare_models"
#: Exact trainable parameter counts of the three ex7 models (declared in exercise 7's spec entry).
PARAMETERS = spec.exercise("ex7_models").parameter_counts
#: An untrained 10-class model's cross-entropy is near ln 10 = 2.30; one that learned is far below this.
UNTRAINED_LOSS = 2.0
RESULT_KEYS = ("parameters", "test_accuracy", "train_seconds", "epoch_losses", "model")
#: Training digits the kit measures the returned model's loss on (the first ones of the sample).
LOSS_DIGITS = 256
#: Adam moves a weight by at most lr * (1 - beta1) / sqrt(1 - beta2) per step (Kingma & Ba, section 2.1;
#: torch's default betas): about 3.16 learning rates.
ADAM_REACH = (1 - 0.9) / math.sqrt(1 - 0.999)
#: The reported accuracy may differ from the kit's by this many test digits (arg-max ties at rounding level).
DIGITS_SLACK = 1
#: The mean training loss of the last epoch is measured on weights on their way to the returned ones, with
#: dropout on: it cannot be much below the returned model's own loss (the reference: 1.7 to 3.5 times above it).
LOSS_FLOOR = 0.5

State = dict[str, torch.Tensor]
#: A model's parameters: (name, shape) in registration order.
Layout = list[tuple[str, tuple[int, ...]]]

#: This exercise's hints, by check or mistake id (``cnnkit.grading.hints``).
HINTS: dict[str, HintText] = {
    "reported_accuracy": HintText(
        "test_accuracy must be what your evaluate_model measures on test_batches for the model you return, after "
        "all its training: the kit runs that model on the same batches and counts the digits it reads",
        "measure it with evaluate_model on the test batches, once, after the last epoch, for the model you return"),
    "untrained": HintText(
        "the model you return must be the one you trained: every layer's weights move during training, "
        "starting from the weights the seed gave it",
        "seed torch's generator, then build each model, give all its parameters to the optimizer, train it with "
        "train_model, and return that same model"),
    "reported_losses": HintText(
        "epoch_losses are the mean training losses train_model returns, one per epoch, for the model you return",
        "collect what train_model returns for each epoch, unchanged"),
    "parameters_counted": HintText(
        "parameters is the number of trainable parameters of the model you return, as count_parameters counts them",
        "count the parameters of the model you return with your count_parameters"),
    "seed_once": HintText(
        "each model starts from the weights the seed gives it, whatever was trained before it: the random state is "
        "set again before each model is built", "seed torch's generator right before building each model"),
    "seed_ignored": HintText("another seed gives other initial weights: the seed argument must reach torch's "
                             "generator", "seed torch's generator with the seed given, before building each model"),
    "criterion_ignored": HintText("the criterion given is the loss each model is trained with",
                                  "pass it on to train_model"),
    "lr_decay_misapplied": HintText(
        "the first epoch runs at the learning rate given; after each epoch the rate is multiplied by lr_decay",
        "train one epoch at a time and scale every parameter group's learning rate after each one"),
    "make_optimizer_ignored": HintText(
        "when make_optimizer is given, it builds the one optimizer that trains all of the model's parameters",
        "call it with the model's parameters and the learning rate, and train with what it returns"),
    "prepare_model_ignored": HintText("when prepare_model is given, every new model goes through it before training",
                                      "apply it right after building each model and keep what it returns"),
    "accuracy_range": HintText("test_accuracy is in percent, from 0 to 100, as evaluate_model returns it",
                               "report evaluate_model's number as it is"),
    "seconds_range": HintText("train_seconds is the wall-clock time the training took, a positive number of seconds",
                              "read a clock (time.perf_counter) before and after train_model and subtract"),
    "not_a_number": HintText("a number from your results is a tensor or another type: the contract asks for floats",
                             "convert 0-d tensors with .item() or float()"),
}


# -- hooks the graders pass (pickled by reference: in the worker they are this module's functions) ----------
def zeroed_model(model: nn.Module) -> nn.Module:
    """A ``prepare_model`` for the graders: every weight and bias 0, so a ReLU net cannot learn
    (no hidden unit ever activates; only the output bias moves), leaving accuracy near chance."""
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.zero_()
    return model


#: The optimizers ``frozen_optimizer`` built in this worker process, in order: trainable elements and steps.
BUILT_OPTIMIZERS: list[dict[str, int]] = []


def frozen_optimizer(parameters: Iterator[nn.Parameter], learning_rate: float) -> torch.optim.Optimizer:
    """A ``make_optimizer`` for the graders: SGD with learning rate 0 (the weights never move), counting its steps."""
    parameters = list(parameters)
    record = {"elements": sum(p.numel() for p in parameters if p.requires_grad), "steps": 0}
    BUILT_OPTIMIZERS.append(record)
    optimizer = torch.optim.SGD(parameters, lr=0.0)
    optimizer.register_step_post_hook(lambda *_: record.__setitem__("steps", record["steps"] + 1))
    return optimizer


# -- the worker operation ----------------------------------------------------------------------------------
def plain_state(model: nn.Module) -> State:
    """``model``'s parameters by name, float32 on the CPU (what the trusted side measures)."""
    return {name: p.detach().to("cpu", torch.float32).contiguous().clone() for name, p in model.named_parameters()}


def _initial_state(detector: Any, name: str, options: dict[str, Any]) -> State | str:
    """The weights ``name`` starts from under the contract: ``torch.manual_seed(seed)``, the student's ex7 class,
    then ``prepare_model``; a description of the problem when it cannot be built."""
    models = importlib.import_module("ex7_models")  # the student's, which compare_models builds from
    cls = getattr(models, name, None)
    if cls is None:
        return f"ex7_models has no {name}"
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(options.get("seed", 0))
        with detector:
            model = cls()
            if options.get("prepare_model") is not None:
                model = options["prepare_model"](model)
    return plain_state(model)


def _logits(detector: Any, model: nn.Module, probes: dict[str, Batches]) -> dict[str, torch.Tensor]:
    """``model``'s logits on every batch of each probe (eval mode, no gradients), concatenated per probe."""
    model.eval()
    with detector, torch.no_grad():
        return {name: torch.cat([model(images).detach().to("cpu", torch.float32) for images, _ in batches])
                for name, batches in probes.items()}


def _own_measure(detector: Any, module: str, function: str, *args: Any) -> float | None:
    """What the student's own ``module.function(*args)`` (exercise 7's count, exercise 8's evaluation) says of the
    returned model: a number, or None when it has none (those exercises' own checks report why)."""
    own = getattr(importlib.import_module(module), function, None)
    if own is None:
        return None
    try:
        with torch.random.fork_rng(devices=[]), detector:
            value = own(*args)
    except Exception:  # noqa: BLE001 - the earlier exercise's own checks report its failures
        return None
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def layout(model: nn.Module) -> Layout:
    return [(key, tuple(int(n) for n in p.shape)) for key, p in model.named_parameters()]


def _measure(detector: Any, name: str, model: Any, options: dict[str, Any], probes: dict[str, Batches],
             kit_layouts: dict[str, Layout] | None) -> dict[str, Any]:
    if not isinstance(model, nn.Module):
        return {"problem": f"results[{name!r}]['model'] is a {type(model).__name__}, not an nn.Module"}
    run_here = kit_layouts is None or layout(model) != kit_layouts.get(name)
    return {
        "parameters": [(key, tuple(p.shape), bool(p.requires_grad)) for key, p in model.named_parameters()],
        "state": plain_state(model),
        "initial": _initial_state(detector, name, options),
        "logits": _logits(detector, model, probes) if run_here else None,
        "evaluated": _own_measure(detector, "ex8_training", "evaluate_model", model, probes["test"]),
        "own_count": _own_measure(detector, "ex7_models", "count_parameters", model),
    }


@op(calls=("compare_models",))
def compare_models_measured(student: Any, detector: Any, train: Batches, test: Batches, options: dict[str, Any],
                            probes: dict[str, Batches], kit_layouts: dict[str, Layout] | None) -> tuple[Any, dict]:
    """``compare_models(train, test, **options)``, then what the kit needs to measure each model it returned.

    ``kit_layouts``: the parameter layouts of the models the trusted side will run itself (None: it
    runs none). Value: the results (each ``model`` travels as a ``Foreign`` description). Extra
    ``measured``: name -> ``{"parameters": [(name, shape, trainable)], "state", "initial" (or why it
    could not be built), "logits": {probe: (N, 10)}, or None where the trusted side runs the model,
    "evaluated", "own_count": what the student's evaluate_model and count_parameters say of it}``
    or ``{"problem": ...}``; ``optimizers``: what ``frozen_optimizer`` built, in order
    (``{"elements", "steps"}``).
    """
    compare = student_attribute(student, "compare_models")
    BUILT_OPTIMIZERS.clear()
    with detector:
        results = compare(train, test, **options)
    measured = {}
    if isinstance(results, dict):
        for name, entry in results.items():
            model = entry.get("model") if isinstance(entry, dict) else None
            measured[str(name)] = _measure(detector, str(name), model, options, probes, kit_layouts)
    return results, {"measured": measured, "optimizers": [dict(record) for record in BUILT_OPTIMIZERS]}


# -- the trusted side: runs, measurements -------------------------------------------------------------------
def probe_batches(train: Batches, test: Batches) -> dict[str, Batches]:
    """What the kit measures a returned model on: the test batches as given, and the first training digits."""
    return {"test": test, "train": Batches(train.images[:LOSS_DIGITS], train.labels[:LOSS_DIGITS], LOSS_DIGITS)}


def probe_labels(probes: dict[str, Batches]) -> dict[str, torch.Tensor]:
    return {name: torch.cat([labels for _, labels in batches]) for name, batches in probes.items()}


@dataclass
class TrainedModel:
    """One model ``compare_models`` returned, as the kit measured it (logits filled by the worker or the kit)."""

    name: str
    parameters: list[tuple[str, tuple[int, ...], bool]]
    state: State
    initial: State | str
    logits: dict[str, torch.Tensor] | None
    labels: dict[str, torch.Tensor]
    evaluated: float | None = None  # the student's own evaluate_model on the returned model and the test batches
    own_count: float | None = None  # the student's own count_parameters of the returned model

    @property
    def counted(self) -> int:
        """The kit's count of the returned model's trainable parameters."""
        return sum(math.prod(shape) for _, shape, trainable in self.parameters if trainable)

    def accuracy(self) -> float:
        """Percent of the test digits the returned model reads right (the kit's measurement)."""
        return 100.0 * float((self.logits["test"].argmax(dim=1) == self.labels["test"]).double().mean())

    def loss(self, label_smoothing: float = 0.0) -> float:
        """The returned model's mean cross-entropy on the first ``LOSS_DIGITS`` training digits (eval mode)."""
        logits, labels = self.logits["train"].double(), self.labels["train"]
        return float(F.cross_entropy(logits, labels, label_smoothing=label_smoothing))


@dataclass
class Run:
    """One call of ``compare_models``: what it returned, and each returned model as the kit measured it."""

    results: Any
    models: dict[str, TrainedModel | str]  # name -> the measurement, or why the model could not be measured
    optimizers: list[dict[str, int]]
    steps: int  # optimizer steps a model trained for num_epochs takes (one per training batch and epoch)
    options: dict[str, Any] = field(default_factory=dict)


def run_compare(sub: Any, train: Batches, test: Batches, names: tuple[str, ...], epochs: int,
                kit_layouts: dict[str, Layout] | None, **options: Any) -> Run:
    """The student's ``compare_models`` in the worker, its models measured (see ``compare_models_measured``)."""
    options = {"num_epochs": epochs, "model_names": names, **options}
    probes = probe_batches(train, test)
    results, extra = sub.op("compare_models_measured", train, test, options, probes, kit_layouts)
    labels = probe_labels(probes)
    models: dict[str, TrainedModel | str] = {}
    for name, found in extra["measured"].items():
        models[name] = found["problem"] if "problem" in found else TrainedModel(
            name, found["parameters"], found["state"], found["initial"], found["logits"], labels, found["evaluated"],
            found["own_count"])
    return Run(results, models, extra["optimizers"], epochs * len(train), options)


def kit_logits(reference_models: Any, name: str, state: State,
               probes: dict[str, Batches]) -> dict[str, torch.Tensor] | str:
    """The reference model ``name`` with the returned weights ``state``, run here: logits per probe, or why not."""
    with torch.random.fork_rng(devices=[]):
        model = getattr(reference_models, name)()
    mismatch = load_by_name(model, state)
    if mismatch is not None:
        return f"the returned weights do not fit the article's {name}: {mismatch}"
    model.eval()
    with torch.no_grad():
        return {probe: torch.cat([model(images) for images, _ in batches]) for probe, batches in probes.items()}


def reference_layouts(reference_models: Any, names: tuple[str, ...]) -> dict[str, Layout]:
    """The parameter layouts of the reference models ``names`` (those the trusted side can run)."""
    with torch.random.fork_rng(devices=[]):
        return {name: layout(getattr(reference_models, name)()) for name in names if hasattr(reference_models, name)}


def measure_with_reference(run: Run, reference_models: Any, train: Batches, test: Batches) -> Run:
    """``run`` with the logits of every model the worker did not run computed here, by the reference model."""
    probes = probe_batches(train, test)
    for name, model in run.models.items():
        if isinstance(model, TrainedModel) and model.logits is None:
            logits = kit_logits(reference_models, name, model.state, probes)
            run.models[name] = logits if isinstance(logits, str) else replace(model, logits=logits)
    return run


class Runs:
    """Each distinct ``compare_models`` call once per grader module (tests share the training runs)."""

    def __init__(self, sub: Any, batches: dict[str, tuple[Batches, Batches]], reference_models: Any = None) -> None:
        self.sub, self.batches, self.reference_models = sub, batches, reference_models
        self.memo: dict[Any, tuple[str, Any]] = {}

    def __call__(self, names: tuple[str, ...], epochs: int, data: str = "shuffled", **options: Any) -> Run:
        key = (data, names, epochs, pickle.dumps(sorted(options.items())))  # the options travel pickled anyway
        if key not in self.memo:
            train, test = self.batches[data]
            layouts = None if self.reference_models is None else reference_layouts(self.reference_models, names)
            try:
                run = run_compare(self.sub, train, test, names, epochs, layouts, **options)
                if self.reference_models is not None:
                    run = measure_with_reference(run, self.reference_models, train, test)
                self.memo[key] = ("ok", run)
            except Exception as exc:  # noqa: BLE001 - re-raised in every test that needs this run
                self.memo[key] = ("error", exc)
        status, value = self.memo[key]
        if status == "error":
            raise value
        return value


# -- checks -------------------------------------------------------------------------------------------------
def check_structure(results: Any, names: tuple[str, ...], epochs: int, case: str) -> None:
    """``results`` maps exactly ``names`` (in order) to dicts with the five keys, of the right types."""
    if not isinstance(results, dict):
        fail(WHAT, f"returned {type(results).__name__}; expected a dict keyed by model name", case)
    if tuple(results) != names:
        fail(WHAT, f"returned keys {list(results)}; expected {list(names)} (the model_names given, in order)", case)
    for name in names:
        entry = results[name]
        if not isinstance(entry, dict):
            fail(WHAT, f"results[{name!r}] is {type(entry).__name__}; expected a dict", case)
        missing = [key for key in RESULT_KEYS if key not in entry]
        if missing:
            fail(WHAT, f"results[{name!r}] lacks {missing}; expected the keys {list(RESULT_KEYS)}", case)
        check_number(entry["test_accuracy"], f"results[{name!r}]['test_accuracy']", case, 0.0, 100.0,
                     mistake="accuracy_range")
        check_number(entry["train_seconds"], f"results[{name!r}]['train_seconds']", case, 0.0, math.inf,
                     mistake="seconds_range")
        if entry["train_seconds"] <= 0:
            fail(WHAT, f"results[{name!r}]['train_seconds'] is {entry['train_seconds']}; training takes time", case)
        losses = entry["epoch_losses"]
        if not isinstance(losses, list) or len(losses) != epochs:
            fail(WHAT, f"results[{name!r}]['epoch_losses'] is {_describe(losses)}; expected a list of "
                 f"{epochs} floats (what train_model returns)", case)
        for loss in losses:
            check_number(loss, f"results[{name!r}]['epoch_losses']", case, 0.0, math.inf)
        model = entry["model"]
        if not (isinstance(model, Foreign) and model.type_name.split(".")[-1] == name):
            fail(WHAT, f"results[{name!r}]['model'] is {_describe(model)}; expected the trained {name}", case)


def measured(run: Run, name: str, case: str) -> TrainedModel:
    """The kit's measurement of the returned model ``name`` (after ``check_structure``); fails when there is none."""
    model = run.models.get(name)
    if not isinstance(model, TrainedModel):
        fail(WHAT, f"the kit could not measure the returned {name}: {model or 'it was not returned'}", case)
    if model.logits is None:
        raise RuntimeError(f"{name} was not run: measure it in the worker or with the reference models")
    return model


def check_parameters(run: Run, name: str, case: str) -> None:
    """The kit's count of the returned model's trainable parameters is the model's, and the reported number is it
    (or, where the student's own ``count_parameters`` counts otherwise, exercise 7's mistake, graded there, its
    number: the exercise asks for count_parameters' count)."""
    model = measured(run, name, case)
    if model.counted != PARAMETERS[name]:
        fail(WHAT, f"the returned {name} has {model.counted:,} trainable parameters (counted by the kit); the "
             f"{name} of exercise 7 has {PARAMETERS[name]:,}: exercise 7's checks say which layer differs", case)
    reported = run.results[name]["parameters"]
    if isinstance(reported, bool) or not isinstance(reported, int) or reported not in (model.counted, model.own_count):
        fail(WHAT, f"results[{name!r}]['parameters'] is {_describe(reported)}; the kit counts the int "
             f"{model.counted:,} (trainable parameters) in the returned {name}", case,
             check="parameters_counted", mistake="parameters_counted")


def check_reported_accuracy(run: Run, name: str, case: str) -> None:
    """The reported test accuracy is the kit's measurement of the returned model on the same test batches.

    Where the student's own ``evaluate_model`` measures that model otherwise (exercise 8's mistake, graded
    there), its number is accepted too: the exercise asks for evaluate_model's accuracy.
    """
    model = measured(run, name, case)
    reported, kit = run.results[name]["test_accuracy"], model.accuracy()
    digits = len(model.labels["test"])
    slack = 100.0 * DIGITS_SLACK / digits + 1e-9
    if abs(reported - kit) <= slack or (model.evaluated is not None and abs(reported - model.evaluated) <= slack):
        return
    own = "" if model.evaluated is None else f"; your evaluate_model gives {model.evaluated:.2f} % for that model"
    fail(WHAT, f"results[{name!r}]['test_accuracy'] is {reported:.2f} %, but the returned {name} reads "
         f"{kit:.2f} % of the {digits} test digits (the kit ran it on the same test batches{own})", case,
         check="reported_accuracy", mistake="reported_accuracy")


def check_trained(run: Run, name: str, least_accuracy: float, case: str,
                  least_loss: float | None = UNTRAINED_LOSS) -> None:
    """The returned model is the seeded model, trained: every weight tensor moved from its initial value, none farther
    than Adam reaches in the run's steps (default optimizer), and the kit measures it above the bars (accuracy of at
    least ``least_accuracy`` percent; a loss on training digits below ``least_loss``, unless None)."""
    model = measured(run, name, case)
    if isinstance(model.initial, str):
        fail(WHAT, f"the kit could not rebuild {name}'s initial weights: {model.initial}", case)
    still = [key for key, value in model.state.items() if torch.equal(value, model.initial[key])]
    if still:
        fail(WHAT, f"the returned {name}'s {', '.join(still)} still hold the initial weights "
             f"(torch.manual_seed({run.options.get('seed', 0)}) then {name}()): that model was not trained", case,
             check="untrained", mistake="untrained")
    if run.options.get("make_optimizer") is None:
        reach = ADAM_REACH * run.options.get("learning_rate", 1e-3) * run.steps
        moved = max(float((value - model.initial[key]).abs().max()) for key, value in model.state.items())
        if moved > reach * 1.01:
            fail(WHAT, f"a weight of the returned {name} is {moved:.3g} away from its initial value; {run.steps} "
                 f"steps of Adam move a weight {reach:.3g} at most: these weights did not come from training the "
                 "seeded model", case, check="untrained", mistake="untrained")
    accuracy, loss = model.accuracy(), model.loss()
    if accuracy < least_accuracy or (least_loss is not None and not loss < least_loss):
        fail(WHAT, f"the returned {name} reads {accuracy:.1f} % of the test digits and its loss on the first "
             f"{LOSS_DIGITS} training digits is {loss:.3f} (measured by the kit); expected at least "
             f"{least_accuracy:.0f} % (chance is 10 %)" + ("" if least_loss is None else
             f" and a loss below {least_loss} (untrained: ln 10 = 2.30)"),
             case, "is every model trained with Adam on its own parameters?")


def check_reported_losses(run: Run, name: str, case: str, label_smoothing: float = 0.0) -> None:
    """The reported epoch losses went down, and the last is consistent with the kit's loss of the returned model."""
    losses = run.results[name]["epoch_losses"]
    if len(losses) > 1 and not losses[-1] < losses[0]:
        fail(WHAT, f"{name}'s epoch losses did not go down: {[round(x, 4) for x in losses]}", case)
    kit = measured(run, name, case).loss(label_smoothing)
    if losses and losses[-1] < LOSS_FLOOR * kit:
        fail(WHAT, f"{name}'s last epoch loss is reported as {losses[-1]:.4f}, but the returned {name}'s loss on "
             f"the first {LOSS_DIGITS} training digits is {kit:.4f} (measured by the kit); an epoch's mean training "
             f"loss is not below {LOSS_FLOOR:g} times the trained model's own", case,
             check="reported_losses", mistake="reported_losses")


def same_weights(first: TrainedModel, second: TrainedModel) -> bool:
    """Whether two returned models hold the same weights (up to rounding)."""
    return first.state.keys() == second.state.keys() and all(
        torch.allclose(value, second.state[key], rtol=1e-5, atol=1e-7) for key, value in first.state.items())


def check_number(value: Any, what: str, case: str, low: float, high: float, mistake: str = "") -> None:
    """``value`` is a float from ``low`` to ``high``; ``mistake``: the id of the hint for one outside the range."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        fail(WHAT, f"{what} is {_describe(value)}; expected a float", case, check="float_type", mistake="not_a_number")
    if not low <= value <= high:
        fail(WHAT, f"{what} is {value}; expected a number from {low} to {high}", case, check="range", mistake=mistake)


def _describe(value: Any) -> str:
    if isinstance(value, Foreign):
        return value.describe()
    text = repr(value)
    return f"{type(value).__name__} {text[:60]}{'...' if len(text) > 60 else ''}"



@op(calls=())
def mnist_chain(student: Any, detector: Any) -> tuple[Any, dict]:
    """What ``cnnkit.grading.chain`` compares with the reference ex7/ex8 and with the student's own: each model
    of exercise 7 (weights seeded by parameter name) in eval mode on a fixed batch, one epoch of two SGD steps
    of exercise 8's ``train_model``, ``evaluate_model`` after it, and a fingerprint of the trained weights."""
    import importlib

    from cnnkit.grading.chain import seeded_weights

    models, training = importlib.import_module("ex7_models"), importlib.import_module("ex8_training")
    x = torch.randn(8, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    targets = torch.arange(8) % 10
    results = {}
    for name in PARAMETERS:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            with detector:
                model = seeded_weights(getattr(models, name)())
                logits = model.eval()(x)
                batches = [(x[:4], targets[:4]), (x[4:], targets[4:])]  # two steps: gradients must be reset
                losses = training.train_model(model, torch.optim.SGD(model.parameters(), lr=0.05), batches, 1)
                accuracy = training.evaluate_model(model, [(x, targets)])
        weights = [torch.stack([p.detach().double().sum(), p.detach().double().norm()]) for p in model.parameters()]
        results[name] = {"logits": logits.detach(), "losses": losses, "accuracy": accuracy, "weights": weights}
    return results, {}
