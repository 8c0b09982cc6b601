"""cnnkit: the machinery of the CNN exercise kit (grading engine, sandbox, stub generator, CLI, data)."""

__version__ = "0.1.0"
