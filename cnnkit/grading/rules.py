"""The exercise rules, checked in a submission's source before any of it runs.

Pure analysis of the syntax tree on the trusted side: the student's files are read and parsed,
never imported or executed. Each exercise's spec entry (``cnnkit.spec``) says what it may import
(``Exercise.imports`` and the student's own earlier exercises); what no exercise needs is refused
everywhere: torch's private and internal APIs, its escape hatches (TorchScript, custom operators,
function transforms, forward-mode AD, the torch-function machinery the run-time detector is made
of), code built from strings, reaching into namespaces and the interpreter's internals, library
attributes chosen by a computed name, changing a library, and the grading kit itself.

A ``Finding`` is one construct at one place (file, line, the construct, the rule it breaks, what
to write instead). Most rules put the exercise up for review (status ``flagged``); a numpy or math
function that the exercise forbids by name (the run-time detector sees torch only) is the
honest slip of calling a forbidden API (status ``forbidden``). ``check_submission`` checks an
exercise's module and the student's earlier exercises it imports, each under its own rules.
"""

from __future__ import annotations

import ast
import os
import stat
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from cnnkit import spec

MAX_SOURCE_BYTES = 2_000_000


@dataclass(frozen=True)
class Rule:
    """One exercise rule as feedback states it: what it forbids and what to write instead."""

    name: str
    advice: str
    status: str = "flagged"  # "flagged" (up for review) or "forbidden" (a forbidden API, by name)


IMPORT = Rule("an import outside this exercise's allow-list",
              "import only the modules the file's header lists; write helpers in this file")
KIT = Rule("an import of the grading kit (cnnkit)", "your code never needs the kit: the checks call your functions")
PRIVATE = Rule("a private or internal API of torch or another library (a name starting with _)",
               "use torch's public functions")
ESCAPE = Rule("an escape hatch no exercise needs",
              "write the computation with ordinary tensor operations (the exercise's lesson lists them)")
CODE_FROM_STRINGS = Rule("code built from strings at run time", "write the code itself in the file")
INTROSPECTION = Rule("a way into namespaces or the interpreter's internals",
                     "refer to the names you use directly (self.conv1, torch.einsum)")
COMPUTED_NAME = Rule("a library attribute chosen by a computed name",
                     "name the function you call: torch.einsum(...), not getattr(torch, name)(...)")
PATCH = Rule("a change to a library (assigning or deleting one of its attributes)",
             "define a function of your own instead of replacing one of the library's")
TORCH_HOOK = Rule("a hook that intercepts torch's calls (the machinery of the rules' detector)",
                  "no exercise needs a tensor subclass: compute with plain tensors")
TOO_DEEP = Rule("source too deeply nested to check", "split the expression into several statements")
FORBIDDEN_IMPORT = Rule("an import of a function this exercise forbids, from a module outside its allow-list",
                        "compute it yourself from the operations the exercise allows", status="forbidden")
NOT_TORCH_FORBIDDEN = Rule("a function this exercise forbids, from a library the run-time detector does not watch",
                           "compute it yourself from the operations the exercise allows", status="forbidden")

#: Escape hatches, by dotted name (also matched from any ``torch`` or ``numpy`` reached through another
#: module, e.g. ``F.torch.jit``): what each is, as feedback says it.
ESCAPE_HATCHES: dict[str, tuple[Rule, str]] = {
    "torch.jit": (ESCAPE, "TorchScript runs code the rules' detector cannot follow"),
    "torch.library": (ESCAPE, "custom operators wrap torch's own kernels"),
    "torch.ops": (ESCAPE, "torch's operator registry calls kernels directly"),
    "torch.classes": (ESCAPE, "TorchScript classes"),
    "torch.func": (ESCAPE, "function transforms (automatic differentiation, vmap)"),
    "torch.vmap": (ESCAPE, "a function transform (torch.func.vmap)"),
    "functorch": (ESCAPE, "function transforms (automatic differentiation, vmap)"),
    "torch.autograd.forward_ad": (ESCAPE, "forward-mode automatic differentiation"),
    "torch.overrides": (ESCAPE, "the torch-function machinery the rules' detector is made of"),
    "torch.compile": (ESCAPE, "compiled code the rules' detector cannot follow"),
    "torch.export": (ESCAPE, "graph capture and compilation"),
    "torch.fx": (ESCAPE, "graph capture and generated code"),
    "torch.hub": (ESCAPE, "loads and runs code from elsewhere"),
    "torch.package": (ESCAPE, "loads and runs packaged code"),
    "torch.load": (ESCAPE, "unpickling can run any code"),
    "torch.utils.cpp_extension": (ESCAPE, "compiles C++"),
    "numpy.load": (ESCAPE, "unpickling can run any code"),
    "numpy.ctypeslib": (ESCAPE, "raw memory and C functions"),
    "numpy.f2py": (ESCAPE, "compiles Fortran"),
    "typing.get_type_hints": (CODE_FROM_STRINGS, "evaluates annotation strings as code"),
    "typing.ForwardRef": (CODE_FROM_STRINGS, "evaluates a string as code"),
}
#: The modules an escape hatch's name starts from.
HATCH_ROOTS = frozenset(name.split(".")[0] for name in ESCAPE_HATCHES)
#: Their last names: read from an object the check cannot name (``[torch][0].jit``), they are refused too,
#: unless the student's own code defines that attribute.
HATCH_ATTRIBUTES: dict[str, str] = {name.rsplit(".", 1)[-1]: name for name in ESCAPE_HATCHES if "." in name}
#: Attribute names that reach C directly, whatever object they are read from (``np.ctypeslib``, ``array.ctypes``).
C_ACCESS = frozenset({"ctypes", "ctypeslib"})
#: Standard-library modules that other modules hold as attributes (``torch.sys``, ``torch.importlib``,
#: ``F.importlib``, ``torch.os``, ``torch.builtins``): importing them by that detour is still importing them.
MODULES_OUTSIDE = frozenset({
    "sys", "os", "posix", "builtins", "importlib", "inspect", "gc", "subprocess", "pickle", "marshal", "runpy",
    "code", "codeop", "operator", "threading", "socket", "shutil", "pathlib", "tempfile", "glob", "io",
    "platform", "weakref", "resource",
})  # fmt: skip
#: Libraries whose functions the run-time detector never sees (it watches torch): forbidden names are checked here.
UNWATCHED_LIBRARIES = frozenset({"numpy", "math"})

#: Builtins that build code from strings or hand out namespaces (shadowing one with your own definition is fine).
BUILTINS_REFUSED: dict[str, Rule] = {
    "exec": CODE_FROM_STRINGS, "eval": CODE_FROM_STRINGS, "compile": CODE_FROM_STRINGS,
    "__import__": CODE_FROM_STRINGS, "breakpoint": CODE_FROM_STRINGS,
    "globals": INTROSPECTION, "vars": INTROSPECTION, "locals": INTROSPECTION,
}
ATTRIBUTE_BUILTINS = frozenset({"getattr", "setattr", "delattr"})

#: Dunder attributes plain code uses (``super().__init__()``, ``type(self).__name__``); any other is refused.
ORDINARY_DUNDERS = frozenset({
    "__init__", "__new__", "__post_init__", "__call__", "__name__", "__qualname__", "__doc__", "__class__",
    "__module__", "__version__", "__len__", "__iter__", "__next__", "__getitem__", "__setitem__", "__contains__",
    "__repr__", "__str__", "__format__", "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__hash__",
    "__bool__", "__enter__", "__exit__", "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
    "__matmul__", "__truediv__", "__floordiv__", "__mod__", "__pow__", "__neg__", "__pos__", "__abs__",
    "__float__", "__int__", "__index__",
})  # fmt: skip
#: Dunder names a module may use as plain names (``if __name__ == "__main__"``, ``__all__ = [...]``).
ORDINARY_DUNDER_NAMES = frozenset({"__name__", "__file__", "__doc__", "__all__", "__slots__"})
TORCH_HOOKS = frozenset({"__torch_function__", "__torch_dispatch__"})


@dataclass(frozen=True)
class Finding:
    """One construct that breaks a rule, where it is."""

    file: str  # "ex2_conv2d.py"
    line: int
    construct: str  # as written (or the library name it reaches), shortened
    rule: Rule
    detail: str = ""  # what the construct is, when the rule alone does not say

    @property
    def status(self) -> str:
        return self.rule.status

    def describe(self) -> str:
        """``ex2_conv2d.py line 5: `torch.jit` is an escape hatch no exercise needs (TorchScript ...); write ...``"""
        detail = f" ({self.detail})" if self.detail else ""
        return f"{self.file} line {self.line}: `{self.construct}` is {self.rule.name}{detail}; {self.rule.advice}"


def is_dunder(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def is_private(name: str) -> bool:
    return name.startswith("_") and not is_dunder(name)


def _shorten(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _prefixes(path: str) -> Iterator[str]:
    """``a.b.c`` -> ``a``, ``a.b``, ``a.b.c``."""
    parts = path.split(".")
    for end in range(1, len(parts) + 1):
        yield ".".join(parts[:end])


def _hatch(path: str) -> tuple[str, Rule, str] | None:
    """The escape hatch ``path`` reaches (its name, rule, what it is), from ``path``'s root or from any
    torch/numpy module reached through another (``torch.nn.functional.torch.jit`` reaches ``torch.jit``)."""
    parts = path.split(".")
    for start, part in enumerate(parts):
        if part not in HATCH_ROOTS:
            continue
        for prefix in _prefixes(".".join(parts[start:])):
            if prefix in ESCAPE_HATCHES:
                rule, what = ESCAPE_HATCHES[prefix]
                return prefix, rule, what
    return None


class _Names:
    """What the names of one file refer to: import aliases (and plain copies of them) -> dotted module
    paths, every name the student's own code introduces (definitions, assignments, parameters), and the
    module-level definitions (the only way to shadow a builtin: ``def compile(...)``)."""

    def __init__(self, tree: ast.Module) -> None:
        self.aliases: dict[str, str] = {}
        self.own: set[str] = set()
        kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        self.defined = {node.name for node in tree.body if isinstance(node, kinds)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    bound = alias.asname or alias.name.split(".")[0]
                    self.aliases[bound] = alias.name if alias.asname else bound
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    if alias.name != "*":
                        self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.own.add(node.name)
            elif isinstance(node, ast.arg):
                self.own.add(node.arg)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                self.own.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                self.own.add(node.attr)
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                self.own.update(node.names)
        self._copies(tree)

    def _copies(self, tree: ast.Module) -> None:
        """``F = torch.nn.functional`` makes ``F`` an alias too (a few rounds: copies of copies)."""
        assignments = [node for node in ast.walk(tree) if isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr))]
        for _ in range(3):
            for node in assignments:
                value = node.value
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if isinstance(value, (ast.Name, ast.Attribute)) and (path := self.path(value)) is not None:
                    for target in targets:
                        if isinstance(target, ast.Name):
                            self.aliases.setdefault(target.id, path)

    def path(self, node: ast.AST) -> str | None:
        """The dotted module path an expression names (``F.conv2d`` -> ``torch.nn.functional.conv2d``), or None."""
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self.path(node.value)
            return f"{base}.{node.attr}" if base is not None else None
        return None

    def builtin(self, name: str) -> bool:
        """Whether ``name`` may be the builtin: not shadowed by a module-level definition or an import
        (an assignment or a parameter does not count: ``eval = eval`` still hands the builtin on)."""
        return name not in self.defined and name not in self.aliases


def _student_module(path: str) -> bool:
    return path.split(".")[0] in spec.BY_MODULE


class _Checker(ast.NodeVisitor):
    """Walks one file's syntax tree and records each construct that breaks a rule of ``module``."""

    def __init__(self, module: str, file: str, names: _Names) -> None:
        self.module = module
        self.file = file
        self.names = names
        self.findings: dict[tuple[int, str, str], Finding] = {}
        self.student_imports: set[str] = set()

    def add(self, node: ast.AST, construct: str, rule: Rule, detail: str = "") -> None:
        line = getattr(node, "lineno", 0)
        key = (line, construct, rule.name)
        self.findings.setdefault(key, Finding(self.file, line, _shorten(construct), rule, detail))

    def source(self, node: ast.AST) -> str:
        try:
            return ast.unparse(node)
        except (ValueError, RecursionError):  # pragma: no cover - unparse of a parsed tree
            return type(node).__name__

    # -- library paths ------------------------------------------------------------------------------
    def check_path(self, node: ast.AST, path: str) -> bool:
        """Check a dotted library path (``torch._C._pop_torch_function_stack``); True when it broke a rule.

        The shortest offending prefix is reported, once per line."""
        if _student_module(path):
            return False
        for prefix in _prefixes(path):
            last = prefix.rsplit(".", 1)[-1]
            hatch = _hatch(prefix)
            if hatch is not None:
                self.add(node, hatch[0], hatch[1], hatch[2])
                return True
            if prefix == last:  # the module itself (``__future__``): the allow-list judges it
                if last in C_ACCESS:
                    self.add(node, prefix, ESCAPE, "raw memory and C functions")
                    return True
                continue
            if is_private(last):
                self.add(node, prefix, PRIVATE)
                return True
            if is_dunder(last) and last not in ORDINARY_DUNDERS:
                self.add(node, prefix, INTROSPECTION)
                return True
            if last in C_ACCESS:
                self.add(node, prefix, ESCAPE, "raw memory and C functions")
                return True
            if last in MODULES_OUTSIDE:
                self.add(node, prefix, IMPORT, f"the module {last}, reached through another one")
                return True
        root, last = path.split(".")[0], path.rsplit(".", 1)[-1]
        if root in UNWATCHED_LIBRARIES and "." in path:
            pattern = spec.forbidden_pattern(self.module, last)
            if pattern is not None:
                self.add(node, path, NOT_TORCH_FORBIDDEN, self.forbidden_detail(pattern))
                return True
        return False

    def forbidden_detail(self, pattern: str) -> str:
        exercise = spec.exercise(self.module)
        what = exercise.aliases.get(pattern)
        return f"{pattern}: {what}" if what else f"names containing {pattern!r} are forbidden: {exercise.forbidden_why}"

    def check_attribute_name(self, node: ast.AST, name: str, owner: ast.AST) -> None:
        """An attribute read from an object the check cannot name (a tensor, a parameter, ``type(x)``)."""
        if is_dunder(name) and name not in ORDINARY_DUNDERS:
            self.add(node, f"{_shorten(self.source(owner), 40)}.{name}", INTROSPECTION)
        elif is_private(name) and name not in self.names.own:
            # A private name the student's own code never introduces belongs to a library object.
            self.add(node, f"{_shorten(self.source(owner), 40)}.{name}", PRIVATE)
        elif name in C_ACCESS:
            self.add(node, f"{_shorten(self.source(owner), 40)}.{name}", ESCAPE, "raw memory and C functions")
        elif name in MODULES_OUTSIDE and name not in self.names.own:
            self.add(node, f"{_shorten(self.source(owner), 40)}.{name}", IMPORT, f"the module {name}?")
        elif name in HATCH_ATTRIBUTES and name not in self.names.own:
            rule, what = ESCAPE_HATCHES[HATCH_ATTRIBUTES[name]]
            self.add(node, f"{_shorten(self.source(owner), 40)}.{name}", rule, f"{HATCH_ATTRIBUTES[name]}? {what}")

    # -- imports ---------------------------------------------------------------------------------
    def check_import(self, node: ast.AST, module: str, names: Iterable[str] = ()) -> None:
        paths = [f"{module}.{name}" for name in names] or [module]
        if any(self.check_path(node, path) for path in paths):
            return
        root = module.split(".")[0]
        if root == "cnnkit":
            self.add(node, self.source(node), KIT)
        elif root in spec.BY_MODULE and spec.may_import(self.module, module):
            self.student_imports.add(module)
        elif not spec.may_import(self.module, module):
            forbidden = [(name, spec.forbidden_pattern(self.module, name)) for name in names]
            forbidden = [(name, pattern) for name, pattern in forbidden if pattern is not None]
            if forbidden:  # ``from torch.nn.utils import clip_grad_norm_``: the slip is the function, not the module
                for name, pattern in forbidden:
                    self.add(node, f"{module}.{name}", FORBIDDEN_IMPORT, self.forbidden_detail(pattern))
                return
            earlier = " (only earlier exercises)" if root in spec.BY_MODULE else ""
            self.add(node, self.source(node), IMPORT, f"{module} is not allowed in {self.module}{earlier}")

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.check_import(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level or not node.module:
            self.add(node, self.source(node), IMPORT, "a relative import")
            return
        names = [alias.name for alias in node.names]
        if "*" in names and node.module.split(".")[0] == "torch":
            self.add(node, self.source(node), IMPORT, "a star import from torch hides what you use: import torch")
            return
        self.check_import(node, node.module, [name for name in names if name != "*"])

    # -- names, attributes, calls ----------------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        name = node.id
        if name in BUILTINS_REFUSED and (self.names.builtin(name) or isinstance(node.ctx, ast.Del)):
            self.add(node, name, BUILTINS_REFUSED[name])  # ``del`` of a shadowing definition uncovers the builtin
        elif name in ATTRIBUTE_BUILTINS and self.names.builtin(name):
            self.add(node, name, COMPUTED_NAME, f"{name} passed on as a value")  # direct calls: visit_Call
        elif is_dunder(name) and name not in ORDINARY_DUNDER_NAMES:
            self.add(node, name, INTROSPECTION)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        path = self.names.path(node)
        if path is not None:
            self.check_path(node, path)
        else:
            self.check_attribute_name(node, node.attr, node.value)
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            self.check_patch(node, node.value)
        self.generic_visit(node)

    def check_patch(self, node: ast.AST, owner: ast.AST) -> None:
        """Assigning or deleting an attribute of a library module or function changes the library."""
        path = self.names.path(owner)
        if path is not None and not _student_module(path):
            self.add(node, self.source(node), PATCH)

    def visit_Call(self, node: ast.Call) -> None:
        function = node.func
        if isinstance(function, ast.Name) and function.id in ATTRIBUTE_BUILTINS and self.names.builtin(function.id):
            self.check_attribute_builtin(node, function.id)
            for child in [*node.args, *node.keywords]:
                self.visit(child)
            return
        self.generic_visit(node)

    def check_attribute_builtin(self, node: ast.Call, builtin: str) -> None:
        """``getattr(obj, name)``: a constant name is an attribute like any other; a computed one is refused on a
        library (the student's own objects and modules are fine); ``setattr``/``delattr`` on a library patch it."""
        if len(node.args) < 2:
            return
        owner, name = node.args[0], node.args[1]
        path = self.names.path(owner)
        library = path is not None and not _student_module(path)
        constant = name.value if isinstance(name, ast.Constant) and isinstance(name.value, str) else None
        if builtin != "getattr" and library:
            self.add(node, self.source(node), PATCH)
        elif constant is not None:
            if path is not None:
                self.check_path(node, f"{path}.{constant}")
            else:
                self.check_attribute_name(node, constant, owner)
        elif library:
            self.add(node, self.source(node), COMPUTED_NAME)

    # -- definitions -----------------------------------------------------------------------------
    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if node.name in TORCH_HOOKS:
            self.add(node, f"def {node.name}", TORCH_HOOK)
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef


@dataclass(frozen=True)
class FileCheck:
    """What checking one file found, and the student's earlier exercises it imports (checked next)."""

    findings: list[Finding]
    student_imports: set[str]


def check_source(source: str | bytes, module: str, file: str | None = None) -> FileCheck:
    """Check the source of exercise ``module``'s file (or of an earlier exercise's, under that one's rules).

    Source that does not parse gives no finding: importing it fails, and the grader says so.
    """
    file = file or f"{module}.py"
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, MemoryError):
        return FileCheck([], set())
    except RecursionError:
        return FileCheck([Finding(file, 1, file, TOO_DEEP)], set())
    checker = _Checker(module, file, _Names(tree))
    try:
        checker.visit(tree)
    except RecursionError:
        checker.add(tree, file, TOO_DEEP)
    findings = sorted(checker.findings.values(), key=lambda finding: (finding.line, finding.construct))
    return FileCheck(findings, checker.student_imports)


def _read_regular(path: Path) -> bytes | None:
    """The bytes of a regular file (never through a symbolic link, which the sandbox refuses with its own
    message), or None when there is none to read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode) or os.fstat(fd).st_size > MAX_SOURCE_BYTES:
            return None
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read()
    finally:
        os.close(fd)


def check_submission(folder: Path, module: str, given: Collection[str] = ()) -> list[Finding]:
    """Every finding in exercise ``module``'s file of the submission in ``folder``, and in the files of the
    student's earlier exercises it imports (transitively; each checked under its own exercise's rules).

    ``given``: the modules the grader supplies instead of the student's files (the reference versions an
    exercise is graded with, spec ``builds_on``): those files do not run in its graded tests, so they are
    not read here (their own exercises check them)."""
    findings: list[Finding] = []
    pending, seen = [module], set(given) - {module}
    while pending:
        current = pending.pop(0)
        if current in seen:
            continue
        seen.add(current)
        source = _read_regular(Path(folder) / f"{current}.py")
        if source is None:
            continue
        checked = check_source(source, current)
        findings += checked.findings
        pending += sorted(checked.student_imports)
    return findings


def exercise_status(findings: Iterable[Finding]) -> str | None:
    """``flagged`` when any finding puts the exercise up for review, else ``forbidden`` when any names a
    forbidden function, else None."""
    statuses = {finding.status for finding in findings}
    return "flagged" if "flagged" in statuses else ("forbidden" if statuses else None)


def summary(findings: list[Finding], limit: int = 5) -> str:
    """The findings as feedback lists them (the first ``limit``, then how many more)."""
    lines = [finding.describe() for finding in findings[:limit]]
    if len(findings) > limit:
        lines.append(f"... and {len(findings) - limit} more")
    return "\n".join(lines)
