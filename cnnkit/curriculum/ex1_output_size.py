"""Exercise 1's hints: what the feedback says when a grader recognises a known mistake.

The graders (``graders/test_ex1_output_size.py`` and the hidden one) only recognise a mistake
(``Mistake(id, wrong_answer)``); the words live here, once, in their two forms (see
``cnnkit.grading.hints``). A float answer (``/`` instead of ``//``) gets the kit-wide
``int_from_float`` hint.
"""

from __future__ import annotations

from collections.abc import Mapping

from cnnkit.grading.hints import HintText

HINTS: Mapping[str, HintText] = {
    "padding_counted_once": HintText(
        "the padding was counted on one side only: it surrounds the input, so each axis grows by the "
        "padding at both of its ends",
        "add the padding twice to the input size before you take the kernel size away"),
    "plus_one_inside_division": HintText(
        "the + 1 belongs outside the division: the division counts the stride steps between windows, "
        "and the first window comes before any step",
        "divide the room the kernel leaves (padded size minus kernel size) by the stride, then add one"),
    "rounded_up": HintText(
        "the count was rounded up: a window that would stick out past the padded input does not exist, "
        "so the number of positions is rounded down",
        "use floor division on whole numbers, never a ceiling"),
    "no_plus_one": HintText(
        "one window too few: the division counts the stride steps, and the first window (at offset 0) "
        "comes before any step",
        "add one to the number of whole stride steps that fit"),
    "invalid_setting_accepted": HintText(
        "a setting with no output (a size, kernel or stride below 1, a negative padding, or a kernel "
        "larger than the padded input) must be refused, not answered with a number",
        "check every argument before computing and raise ValueError with a message naming the bad one"),
    "wrong_exception": HintText(
        "an invalid setting must raise ValueError in particular: any other error looks like a bug in "
        "the function, not a refused setting",
        "check the arguments first, before any division, and raise ValueError naming the bad one"),
}
