"""The results table ``cnnkit compare`` prints and writes, and what the parameter counts say."""

from __future__ import annotations

from typing import Any


def format_table(report: dict[str, Any]) -> str:
    """The results table, then what the parameter counts say (computed, not assumed)."""
    results = report["results"]
    header = f"{'model':<10} {'parameters':>11} {'vs PlainNN':>10} {'test acc':>9} {'train time':>10} {'images/s':>9}"
    lines = [header, "-" * len(header)]
    plain = results.get("PlainNN", {}).get("parameters")
    for name, result in results.items():
        ratio = f"{result['parameters'] / plain:.2f}x" if plain else "-"
        lines.append(
            f"{name:<10} {result['parameters']:>11,} {ratio:>10} {result['test_accuracy']:>8.2f}% "
            f"{result['train_seconds']:>9.1f}s {result['images_per_second']:>9,.0f}"
        )
    validated = [name for name, result in results.items() if result.get("validation_accuracy")]
    if validated:
        lines.append("")
        lines.append("validation accuracy after each epoch (held-out training images; choose settings on these):")
        for name in validated:
            lines.append(f"{name:<10} " + " ".join(f"{acc:.2f}" for acc in results[name]["validation_accuracy"]))
        stopped = [name for name, result in results.items() if result.get("best_epoch")]
        if stopped:
            lines.append("early stopping: " + "; ".join(
                f"{name} tested with epoch {results[name]['best_epoch']}'s weights ({results[name]['epochs_trained']} "
                f"of {report['settings']['epochs']} epochs trained)" for name in stopped))
        said = {name: result.get("diagnosis") for name, result in results.items() if name in validated}
        lines.append("diagnosis (exercise 14's diagnose of curves.png): " + ", ".join(
            f"{name} {word or '-'}" for name, word in said.items())
            + ("" if all(said.values()) else " (-: diagnose not written, or fewer than two epochs)"))
    lines.extend(truth_notes(results))
    settings = report["settings"]
    decay = settings.get("lr_decay", 1.0)
    rate = f"Adam lr {settings['learning_rate']} " + (f"x{decay:g} per epoch" if decay != 1.0 else "constant")
    held_out = settings.get("validation_images", 0)
    if settings.get("augment_max_shift"):
        rate += f", images shifted up to {settings['augment_max_shift']} px"
    if settings.get("early_stopping_patience"):
        rate += f", early stopping (patience {settings['early_stopping_patience']})"
    lines.append(
        f"({settings['epochs']} epochs, batch {settings['batch_size']}, {rate}, "
        f"{settings['train_images']:,} training" + (f" / {held_out:,} validation" if held_out else "")
        + f" / {settings['test_images']:,} test images, {settings['device']}, "
        f"{settings['precision']}, {settings['threads']} threads)"
    )
    return "\n".join(lines)


def truth_notes(results: dict[str, dict[str, Any]]) -> list[str]:
    """Sentences comparing the parameter counts with the plain net's, from the measured counts."""
    if "PlainNN" not in results:
        return []
    plain = results["PlainNN"]["parameters"]
    notes = []
    for name in ("MNIST_CNN", "SmallCNN"):
        if name in results:
            ratio = results[name]["parameters"] / plain
            size = f"{ratio:.1f} times" if ratio >= 1 else f"1/{1 / ratio:.1f}"
            notes.append(
                f"{name} has {size} the parameters of PlainNN "
                f"({'more' if ratio > 1 else 'fewer'}: {results[name]['parameters']:,} vs {plain:,})."
            )
    return [""] + notes if notes else []
