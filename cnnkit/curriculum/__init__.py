"""What the kit knows about one exercise, in one module named after it.

Each module holds its exercise's worker operations (registered with ``cnnkit.sandbox.ops.op``)
and the helpers its public and hidden graders share. An exercise's spec entry names them
(``Exercise.support``); generic code (the sandbox, the plugin, the course builder) names no exercise.
"""
