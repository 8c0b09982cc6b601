"""The curriculum, declared once: every exercise, its title and the torch APIs it may not call.

Everything else (stub headers, the runtime forbidden-call detector, reports, notebooks) reads
this module; nothing repeats these facts. The graders follow it: collecting a grader file
``graders/test_<module>.py`` or ``graders/hidden/test_<module>.py`` for a module not declared here
is an error (the pytest plugin), and the kit's tests check that each exercise's points add up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Exercise:
    """One exercise: a module in ``exercises/`` and ``solutions/`` and a grader in ``graders/``."""

    module: str  # e.g. "ex2_conv2d": file name (without .py) in exercises/ and solutions/
    title: str
    functions: tuple[str, ...]  # the public names the student writes
    # Substrings of torch function names the student may not call while their code runs
    # (matched at run time against ``func.__name__`` seen by a TorchFunctionMode; there is no
    # static scan of the source).
    forbidden: tuple[str, ...] = ()
    forbidden_why: str = ""
    # Whole torch function names forbidden where a substring would catch too much
    # (``torch.autograd.grad`` is named "grad", a substring of ``requires_grad_`` and ``no_grad``).
    forbidden_names: tuple[str, ...] = ()
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
    # About how many seconds grading the reference takes (public + hidden, one core): the runner
    # balances the exercises of a submission graded by several processes at once by it.
    grading_seconds: float = 1.2

    @property
    def number(self) -> int:
        return int(self.module.split("_", 1)[0][2:])


# torch.autograd.grad (also reached by torch.func.vjp/grad and torch.autograd.functional); with the
# substring "backward" (Tensor.backward, torch.autograd.backward, aten's *_backward kernels) this
# catches every public autograd entry point while the student's code runs.
AUTOGRAD_NAMES: tuple[str, ...] = ("grad",)

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
        numeric=True,
        points=13,
    ),
    Exercise(
        "ex4_activations",
        "Activation functions",
        ("relu", "sigmoid", "tanh"),
        forbidden=("relu", "sigmoid", "tanh", "expit", "hardtanh", "threshold"),
        forbidden_why="the exercise is to write the activations from exp, where, clamp and arithmetic",
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
        call_timeout=60.0,
        depends_on=("ex2_conv2d", "ex3_pooling", "ex4_activations", "ex6_softmax", "ex8_training",
                    "ex10_conv_backward", "ex11_pool_backward", "ex12_softmax_ce_backward"),
        support=("cnnkit.curriculum.ex13_own_cnn",),
        given_code=("ex2_conv2d", "ex3_pooling", "ex4_activations", "ex6_softmax", "ex8_training",
                    "ex10_conv_backward", "ex11_pool_backward", "ex12_softmax_ce_backward"),
        points=12,
        grading_seconds=6.0,  # two trainings of the student's own CNN
    ),
    Exercise(
        "ex14_mnist",
        "The MNIST comparison",
        ("compare_models",),
        call_timeout=300.0,
        depends_on=("ex7_models", "ex8_training"),
        support=("cnnkit.curriculum.ex14_mnist",),
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
    """Whether ``module`` forbids autograd (``Tensor.backward`` and the rest): then recording a graph is refused too."""
    return "backward" in BY_MODULE[module].forbidden


def dependents(module: str) -> list[str]:
    """The exercises that import ``module`` (their ``depends_on`` names it): they run the student's own copy."""
    return [exercise.module for exercise in EXERCISES if module in exercise.depends_on]


def is_forbidden(module: str, torch_name: str) -> bool:
    """Whether calling a torch function named ``torch_name`` is forbidden in ``module``."""
    name = torch_name.lower()
    exercise = BY_MODULE[module]
    return name in exercise.forbidden_names or any(pattern in name for pattern in exercise.forbidden)
