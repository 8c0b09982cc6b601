"""The curriculum, declared once: every exercise, its title, what it may import and the torch APIs it may not call.

Everything else (stub headers, the source check, the runtime forbidden-call detector, reports,
notebooks) reads this module; nothing repeats these facts. The graders follow it: collecting a grader file
``graders/test_<module>.py`` or ``graders/hidden/test_<module>.py`` for a module not declared here
is an error (the pytest plugin), and the kit's tests check that each exercise's points add up.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Exercise:
    """One exercise: a module in ``exercises/`` and ``solutions/`` and a grader in ``graders/``."""

    module: str  # e.g. "ex2_conv2d": file name (without .py) in exercises/ and solutions/
    title: str
    functions: tuple[str, ...]  # the public names the student writes
    # Substrings of torch operation names the student may not call while their code runs (matched
    # at run time, case-insensitively, against the torch functions a TorchFunctionMode sees and the
    # aten operators a TorchDispatchMode sees; numpy's and math's functions by name in the source).
    forbidden: tuple[str, ...] = ()
    forbidden_why: str = ""
    # Whole torch function names forbidden where a substring would catch too much
    # (``torch.autograd.grad`` is named "grad", a substring of ``requires_grad_`` and ``no_grad``).
    forbidden_names: tuple[str, ...] = ()
    # Operations that compute what the exercise asks for under another name, forbidden like
    # ``forbidden`` (a substring of the operation's name -> what it computes, which feedback shows):
    # ``F.glu`` multiplies by a sigmoid, so exercise 4 names it.
    aliases: Mapping[str, str] = field(default_factory=dict)
    # Modules the exercise may import beyond ``BASE_IMPORTS`` (the source check refuses any other
    # import before the code runs; the student's own earlier exercises are always importable).
    extra_imports: tuple[str, ...] = ()
    call_timeout: float = 10.0  # seconds one call into student code may take
    depends_on: tuple[str, ...] = field(default=())  # exercise modules this one imports
    # What the exercise is worth (public + hidden tests), weighed by the effort it takes; each
    # grader test's ``@pytest.mark.points`` is a share of it, and the shares add up to it.
    points: float = 0.0
    # A function of tensors and numbers, graded case by case against an oracle (torch, the
    # reference): the kit's tests demand at least two student-style alternatives for each.
    numeric: bool = False
    # Kit modules holding this exercise's worker operations (``@op``) and the helpers its graders
    # share (``cnnkit/curriculum/<module>.py``); the sandbox imports them, generic code names none.
    support: tuple[str, ...] = ()
    # Modules among ``depends_on`` whose code this exercise's notebook holds as given cells (the
    # student's earlier work, pasted in; importable, never graded again there) instead of sharing an
    # assignment with them: ex13 builds on most of the course, which would otherwise be one notebook.
    given_code: tuple[str, ...] = ()
    # Exact trainable parameter counts of the models the exercise documents (graders and tools check them).
    parameter_counts: Mapping[str, int] = field(default_factory=dict)
    # Said in the notebook above the exercise's checks (how it is graded, where to run more).
    grading_note: str = ""
    # How the exercises it builds on (``depends_on``) run when it is graded where the reference solutions
    # are (instructors, Gradescope, nbgrader): "reference" (their reference versions, so this exercise's
    # points measure its own code and a mistake in an earlier exercise is charged once) or "own" (the
    # student's own modules). Students' machines have no reference: there it is always their own.
    builds_on: str = "reference"
    # The worker operation (in its curriculum module) that shows whether it also works with the student's own
    # earlier modules: seeded, self-contained, its results compared between the two (``cnnkit.grading.chain``).
    chain_check: str = ""
    # About how many seconds grading the reference takes (public + hidden, one core): the runner
    # balances the exercises of a submission graded by several processes at once by it.
    grading_seconds: float = 1.2

    @property
    def number(self) -> int:
        return int(self.module.split("_", 1)[0][2:])

    @property
    def imports(self) -> tuple[str, ...]:
        """The library modules this exercise may import (exact names; the student's earlier exercises besides)."""
        return BASE_IMPORTS + self.extra_imports


# torch.autograd.grad (also reached by torch.func.vjp/grad and torch.autograd.functional) and
# forward-mode AD's dual tensors (torch.autograd.forward_ad, torch.func.jvp/jacfwd); with the
# substring "backward" (Tensor.backward, torch.autograd.backward, aten's *_backward kernels) this
# catches every public autograd entry point while the student's code runs.
AUTOGRAD_NAMES: tuple[str, ...] = ("grad", "_make_dual")

#: What plain code needs, importable in every exercise: torch's tensors and layers, numpy, and the
#: standard library modules loops, helpers, classes and type hints use. Nothing that reaches the
#: interpreter's or torch's internals (``sys``, ``os``, ``ctypes``, ``importlib``, ``inspect``, ``gc``).
BASE_IMPORTS: tuple[str, ...] = (
    "torch", "torch.nn", "torch.nn.functional", "numpy", "math", "itertools", "functools", "collections",
    "collections.abc", "dataclasses", "typing", "time", "__future__",
)
MODEL_IMPORTS: tuple[str, ...] = ("torch.nn.init",)  # exercises that define nn.Modules
# Training code keeps the best weights (copy.deepcopy) and may build its own optimizer, scheduler or batches.
TRAINING_IMPORTS: tuple[str, ...] = ("torch.optim", "torch.optim.lr_scheduler", "torch.utils.data", "copy")

EXERCISES: tuple[Exercise, ...] = (
    Exercise("ex1_output_size", "Convolution output size", ("conv_output_size",), numeric=True, points=5),
    Exercise(
        "ex2_conv2d",
        "2-D convolution (cross-correlation)",
        ("conv2d",),
        forbidden=("conv", "convolution"),
        forbidden_why="the exercise is to write the convolution yourself; "
        "F.unfold, Tensor.unfold, einsum, matmul and loops are allowed",
        numeric=True,
        points=14,
    ),
    Exercise(
        "ex3_pooling",
        "Max and average pooling",
        ("max_pool2d", "avg_pool2d"),
        forbidden=("pool",),
        forbidden_why="the exercise is to write pooling yourself; F.pad, unfold, amax and mean are allowed",
        aliases={"embedding_bag": "F.embedding_bag(mode='mean' or 'max') over each window's indices is pooling"},
        numeric=True,
        points=13,
    ),
    Exercise(
        "ex4_activations",
        "Activation functions",
        ("relu", "sigmoid", "tanh"),
        forbidden=("relu", "sigmoid", "tanh", "expit", "hardtanh", "threshold"),
        forbidden_why="the exercise is to write the activations from exp, where, clamp and arithmetic",
        aliases={
            "glu": "F.glu([a, b]) = a * sigmoid(b): a sigmoid",
            "silu": "silu(x) = x * sigmoid(x): a sigmoid",
            "mish": "mish(x) = x * tanh(softplus(x)): a tanh",
            "gelu": "gelu(x, approximate='tanh') is made of a tanh",
            "softmax": "softmax([0, x]) = [1 - sigmoid(x), sigmoid(x)]: a sigmoid",
            "softmin": "softmin([0, -x]) = [1 - sigmoid(x), sigmoid(x)]: a sigmoid",
        },
        numeric=True,
        points=9,
    ),
    Exercise(
        "ex5_dropout",
        "Inverted dropout",
        ("dropout",),
        forbidden=("dropout",),
        forbidden_why="the exercise is to build the dropout mask yourself (torch.rand or torch.bernoulli are fine)",
        numeric=True,
        points=9,
    ),
    Exercise(
        "ex6_softmax",
        "Softmax and cross-entropy",
        ("softmax", "cross_entropy"),
        forbidden=("softmax", "cross_entropy", "nll_loss", "softmin"),
        forbidden_why="the exercise is to write a stable softmax and cross-entropy yourself; "
        "amax, exp, log, gather, F.one_hot and torch.logsumexp are allowed",
        numeric=True,
        points=10,
    ),
    Exercise(
        "ex7_models",
        "A plain net and two CNNs",
        ("PlainNN", "MNIST_CNN", "SmallCNN", "count_parameters"),
        support=("cnnkit.curriculum.ex7_models",),
        extra_imports=MODEL_IMPORTS,
        # The article says the CNN has fewer parameters; its own code gives it three times more.
        parameter_counts={"PlainNN": 535_818, "MNIST_CNN": 1_625_866, "SmallCNN": 105_866},
        points=11,
    ),
    Exercise(
        "ex8_training",
        "The training loop",
        ("train_model", "evaluate_model"),
        call_timeout=60.0,
        support=("cnnkit.curriculum.ex8_training",),
        extra_imports=TRAINING_IMPORTS,
        points=14,
    ),
    # Backward passes by hand; the MNIST comparison stays the last exercise.
    Exercise(
        "ex9_gradcheck",
        "A numerical gradient checker",
        ("numerical_gradient", "relative_error"),
        forbidden=("backward",),
        forbidden_names=AUTOGRAD_NAMES,
        forbidden_why="the exercise is to estimate gradients from function values alone; "
        "torch.autograd (backward(), torch.autograd.grad, torch.func) is forbidden too",
        numeric=True,
        support=("cnnkit.curriculum.ex9_gradcheck",),
        points=10,
    ),
    Exercise(
        "ex10_conv_backward",
        "The convolution's backward pass",
        ("conv2d_backward",),
        forbidden=("conv", "backward"),
        forbidden_names=AUTOGRAD_NAMES,
        forbidden_why="the exercise is to write the gradients yourself; torch.autograd (backward(), "
        "torch.autograd.grad, torch.func) and torch's convolutions (conv_transpose2d, torch.nn.grad) are "
        "forbidden; F.pad, unfold, F.fold, einsum, matmul, loops and your own conv2d are allowed",
        numeric=True,
        points=16,
    ),
    Exercise(
        "ex11_pool_backward",
        "The pooling layers' backward passes",
        ("max_pool2d_backward", "avg_pool2d_backward"),
        forbidden=("pool", "backward"),
        forbidden_names=AUTOGRAD_NAMES,
        forbidden_why="the exercise is to route the gradients yourself; torch.autograd (backward(), "
        "torch.autograd.grad, torch.func) and torch's pooling are forbidden; F.pad, unfold, F.fold, "
        "argmax, scatter_add and loops are allowed",
        numeric=True,
        points=13,
    ),
    Exercise(
        "ex12_softmax_ce_backward",
        "The gradient of softmax cross-entropy",
        ("cross_entropy_backward",),
        forbidden=("softmax", "cross_entropy", "nll_loss", "backward"),
        forbidden_names=AUTOGRAD_NAMES,
        forbidden_why="the exercise is to write the gradient yourself from exp, max and sums; "
        "torch.autograd (backward(), torch.autograd.grad, torch.func) and torch's softmax are forbidden",
        aliases={"softmin": "softmin(-x) = softmax(x)"},
        numeric=True,
        points=8,
    ),
    Exercise(
        "ex13_own_cnn",
        "A CNN built from your own layers",
        ("Conv2dFunction", "MaxPool2dFunction", "ReLUFunction", "LinearFunction", "CrossEntropyFunction",
         "OwnSmallCNN", "own_cross_entropy_loss", "train_own_cnn"),
        forbidden=("conv", "pool", "relu", "linear", "softmax", "cross_entropy", "nll_loss"),
        forbidden_why="every layer of this network is yours: torch's convolutions, pooling, ReLU, linear layers, "
        "softmax and cross-entropy are forbidden (nn.Conv2d and nn.Linear may hold the parameters, never run); "
        "autograd is fine around your Functions, and the graders check that their gradients come from your "
        "backward methods",
        aliases={"embedding_bag": "F.embedding_bag(mode='max') over each window's indices is max pooling"},
        extra_imports=MODEL_IMPORTS + TRAINING_IMPORTS,
        call_timeout=60.0,
        depends_on=("ex2_conv2d", "ex3_pooling", "ex4_activations", "ex6_softmax", "ex8_training",
                    "ex10_conv_backward", "ex11_pool_backward", "ex12_softmax_ce_backward"),
        support=("cnnkit.curriculum.ex13_own_cnn",),
        chain_check="own_cnn_chain",
        given_code=("ex2_conv2d", "ex3_pooling", "ex4_activations", "ex6_softmax", "ex8_training",
                    "ex10_conv_backward", "ex11_pool_backward", "ex12_softmax_ce_backward"),
        points=12,
        grading_seconds=6.0,  # two trainings of the student's own CNN
    ),
    Exercise(
        "ex14_troubleshooting",
        "Troubleshooting training",
        ("clip_grad_norm", "weighted_cross_entropy", "class_weights", "EarlyStopping", "random_shift", "diagnose"),
        forbidden=("clip_grad_norm", "clip_grad_value", "clip_grads_with_norm", "get_total_norm", "cross_entropy",
                   "nll_loss"),
        forbidden_why="the exercise is to clip the gradients and weigh the loss yourself: torch's gradient clipping "
        "(clip_grad_norm_, clip_grad_value_, get_total_norm, clip_grads_with_norm_) and cross-entropy are forbidden; "
        "torch.linalg.vector_norm and torch.logsumexp are allowed",
        numeric=True,
        support=("cnnkit.curriculum.ex14_troubleshooting",),
        extra_imports=TRAINING_IMPORTS,  # EarlyStopping keeps the best weights
        grading_note="When graded, your EarlyStopping also decides when to stop a short real training run on the "
        "MNIST sample embedded in the kit, and diagnose reads the curves of real runs the kit recorded "
        "(`datasets/diagnosis_curves.json`). To use your random_shift, EarlyStopping and diagnose on a real "
        "comparison, run `cnnkit compare --validation --augment --early-stopping` in a terminal.",
        points=14,
        grading_seconds=3.0,  # one short training run; 2,500 shifted images
    ),
    Exercise(
        "ex15_mnist",
        "The MNIST comparison",
        ("compare_models",),
        call_timeout=300.0,
        depends_on=("ex7_models", "ex8_training"),
        extra_imports=MODEL_IMPORTS + TRAINING_IMPORTS,
        support=("cnnkit.curriculum.ex15_mnist",),
        chain_check="mnist_chain",
        grading_note="When graded, this exercise trains the models on the small MNIST sample embedded in the kit "
        "(`datasets/`), so it fits the autograder's time limit. To run the full comparison on all of "
        "MNIST (60,000 training images) with your code, run `cnnkit compare` in a terminal "
        "(`cnnkit compare --help` lists the options: epochs, models, device).",
        points=15,
        grading_seconds=11.0,  # trains the article's models on the embedded sample
    ),
)

TOTAL_POINTS: float = sum(ex.points for ex in EXERCISES)

#: The rules every exercise shares, stated once: the stub header and each notebook's lesson show them.
SHARED_RULES: tuple[str, ...] = (
    "Never modify an argument in place (no `x += ...`, `x[...] = ...` or `x.mul_(...)` on an input): "
    "the checks compare every input before and after each call.",
    "Return exactly the type and shape the contract names (a Python int where it says int, a tensor of "
    "the input's dtype and device where it says tensor).",
)

BY_MODULE: dict[str, Exercise] = {ex.module: ex for ex in EXERCISES}


def exercise(module: str) -> Exercise:
    """The exercise whose module is ``module`` (KeyError with the known names otherwise)."""
    try:
        return BY_MODULE[module]
    except KeyError:
        raise KeyError(f"unknown exercise {module!r}; known: {', '.join(BY_MODULE)}") from None


def forbids_autograd(module: str) -> bool:
    """Whether ``module`` forbids autograd (``Tensor.backward`` and the rest): then recording a graph,
    forward-mode AD and torch.func's transforms are refused too."""
    return "backward" in BY_MODULE[module].forbidden


def earlier_exercises(module: str) -> tuple[str, ...]:
    """The exercise modules before ``module`` in the curriculum: the student's own work it may import."""
    modules = [exercise.module for exercise in EXERCISES]
    return tuple(modules[: modules.index(module)])


def may_import(module: str, imported: str) -> bool:
    """Whether exercise ``module`` may import module ``imported`` (exact name: a library of its
    ``imports``, or one of the student's earlier exercises)."""
    return imported in BY_MODULE[module].imports or imported in earlier_exercises(module)


def imports_sentence(module: str) -> str:
    """The import rule of ``module`` in one sentence, as the stub header and the notebook lesson state it."""
    earlier = earlier_exercises(module)
    own = f", and your own earlier exercises ({earlier[0]} to {earlier[-1]})" if len(earlier) > 1 else (
        f", and your own {earlier[0]}" if earlier else "")
    return (f"Imports allowed: {', '.join(BY_MODULE[module].imports)}{own}. Anything else (sys, os, ctypes, "
            "importlib, torch's private or internal modules, exec/eval, ...) is flagged for review and scores 0; "
            "the check reads your source before it runs.")


def dependents(module: str) -> list[str]:
    """The exercises that import ``module`` (their ``depends_on`` names it): they run the student's own copy."""
    return [exercise.module for exercise in EXERCISES if module in exercise.depends_on]


def match_forbidden(name: str, forbidden: Iterable[str], names: Collection[str], aliases: Iterable[str]) -> str | None:
    """The rule that forbids an operation named ``name`` (a torch function's or an aten operator's name,
    any case), or None: a whole name of ``names``, else a substring of ``forbidden`` or ``aliases``."""
    name = name.lower()
    if name in names:
        return name
    return next((pattern for pattern in (*forbidden, *aliases) if pattern in name), None)


def forbidden_pattern(module: str, name: str) -> str | None:
    """The pattern of ``module``'s rules that forbids an operation named ``name``, or None (``match_forbidden``)."""
    exercise = BY_MODULE[module]
    return match_forbidden(name, exercise.forbidden, exercise.forbidden_names, exercise.aliases)


def is_forbidden(module: str, torch_name: str) -> bool:
    """Whether calling a torch function (or aten operator) named ``torch_name`` is forbidden in ``module``."""
    return forbidden_pattern(module, torch_name) is not None
