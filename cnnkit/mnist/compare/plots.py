"""``cnnkit compare``'s PNG plots: loss, validation, curves, accuracy, confusion matrix, and what the best CNN
learned (filters, feature maps, mistakes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from cnnkit.mnist.compare.learned import ARTICLE_CNN, convolution_maps, feature_maps_model, first_convolutions


def plot_results(report: dict[str, Any], out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = report["results"]
    written = []

    figure, axes = plt.subplots(figsize=(5, 3.2), dpi=100)
    for name, result in results.items():
        epochs = range(1, len(result["epoch_losses"]) + 1)
        axes.plot(epochs, result["epoch_losses"], marker="o", markersize=3, label=name)
    axes.set(xlabel="epoch", ylabel="mean training loss", title="Training loss per epoch", yscale="log")
    axes.legend()
    figure.tight_layout()
    written.append(_save(figure, out / "loss.png"))

    validated = {name: result["validation_accuracy"] for name, result in results.items()
                 if result.get("validation_accuracy")}
    if validated:
        figure, axes = plt.subplots(figsize=(5, 3.2), dpi=100)
        for name, accuracies in validated.items():
            axes.plot(range(1, len(accuracies) + 1), accuracies, marker="o", markersize=3, label=name)
        axes.set(xlabel="epoch", ylabel="validation accuracy (%)",
                 title="Held-out training images, after each epoch")
        axes.legend()
        figure.tight_layout()
        written.append(_save(figure, out / "validation.png"))

    written.append(plot_curves(results, out / "curves.png"))

    figure, axes = plt.subplots(figsize=(5, 3.2), dpi=100)
    names = list(results)
    accuracies = [results[name]["test_accuracy"] for name in names]
    bars = axes.bar(names, accuracies, color=["#888888", "#d62728", "#2ca02c"][: len(names)])
    for bar, name in zip(bars, names):
        axes.annotate(f"{results[name]['test_accuracy']:.2f}%\n{results[name]['parameters']:,} params",
                      (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom", fontsize=8)
    low = min(accuracies)
    axes.set(ylabel="test accuracy (%)", title="Test accuracy per model", ylim=(max(0.0, low - 3), 100.6))
    figure.tight_layout()
    written.append(_save(figure, out / "accuracy.png"))

    figure, axes = plt.subplots(figsize=(4.6, 4), dpi=100)
    matrix = report["confusion_matrix"]
    axes.imshow([[min(count, 30) for count in row] for row in matrix], cmap="Blues")
    for true in range(10):
        for predicted in range(10):
            if matrix[true][predicted]:
                color = "white" if true == predicted else "black"
                axes.text(predicted, true, str(matrix[true][predicted]), ha="center", va="center", fontsize=6, color=color)
    axes.set(xticks=range(10), yticks=range(10), xlabel="predicted digit", ylabel="true digit",
             title=f"Confusion matrix: {report['best_model']}")
    figure.tight_layout()
    written.append(_save(figure, out / "confusion.png"))
    best_cnn = report.get("best_cnn")
    if best_cnn and "_models" in report:
        model, (images, labels) = report["_models"][best_cnn], report["_test"]
        written.append(plot_filters(model, best_cnn, out / "filters.png"))
        shown = feature_maps_model(report)
        written.append(plot_feature_maps(report["_models"][shown], shown, images, labels, out / "feature_maps.png"))
        written.append(plot_mistakes(report, images, labels, out / "mistakes.png"))
    return written


def plot_curves(results: dict[str, dict[str, Any]], path: Path) -> Path:
    """What the article's "Troubleshooting" reads: per model and epoch, the training (solid) and validation
    (dashed) loss and accuracy, side by side; with early stopping, a dot at the epoch whose weights were tested.

    Overfitting shows as a widening gap between the solid and the dashed accuracy, a learning rate too high as a
    training loss that jumps up, one too low as a flat training loss, underfitting as two low accuracies.
    """
    import matplotlib.pyplot as plt

    figure, (loss_axes, accuracy_axes) = plt.subplots(1, 2, figsize=(9, 3.4), dpi=100)
    for index, (name, result) in enumerate(results.items()):
        color = f"C{index}"
        said = f" ({result['diagnosis']})" if result.get("diagnosis") else ""
        for axes, train, validation in ((loss_axes, result["epoch_losses"], result.get("validation_loss")),
                                        (accuracy_axes, result.get("train_accuracy"), result.get("validation_accuracy"))):
            if train:
                axes.plot(range(1, len(train) + 1), train, color=color, marker="o", markersize=3,
                          label=f"{name} training{said}")
            if validation:
                axes.plot(range(1, len(validation) + 1), validation, color=color, linestyle="--", marker="o",
                          markersize=3, label=f"{name} validation")
                best = result.get("best_epoch")
                if best:
                    axes.plot([best], [validation[best - 1]], color=color, marker="*", markersize=12, linestyle="none")
    loss_axes.set(xlabel="epoch", ylabel="mean loss", title="Loss per epoch", yscale="log")
    accuracy_axes.set(xlabel="epoch", ylabel="accuracy (%)", title="Accuracy per epoch")
    if not any(result.get("validation_loss") for result in results.values()):
        figure.suptitle("no validation curves: run with --validation to see them", fontsize=9)
    for axes in (loss_axes, accuracy_axes):
        if axes.get_legend_handles_labels()[0]:  # a run without accuracy curves leaves that panel empty
            axes.legend(fontsize=7)
    figure.tight_layout()
    return _save(figure, path)


def _mosaic(maps: torch.Tensor, columns: int) -> torch.Tensor:
    """(C, H, W) -> one image: the maps in a grid of ``columns``, each scaled to [0, 1], 1-pixel gaps (NaN)."""
    channels, height, width = maps.shape
    rows = -(-channels // columns)
    mosaic = torch.full((rows * (height + 1) - 1, columns * (width + 1) - 1), float("nan"))
    for index in range(channels):
        tile = maps[index]
        tile = (tile - tile.min()) / (tile.max() - tile.min()).clamp_min(1e-8)
        row, column = divmod(index, columns)
        mosaic[row * (height + 1):row * (height + 1) + height, column * (width + 1):column * (width + 1) + width] = tile
    return mosaic


def plot_filters(model: nn.Module, name: str, path: Path) -> Path:
    """The first convolution's learned kernels, one small image each (blue negative, red positive)."""
    import matplotlib.pyplot as plt

    weight = first_convolutions(model, 1)[0].weight.detach().float().cpu()  # (out, in, kh, kw)
    kernels = weight[:, 0]
    columns = 8
    rows = -(-kernels.shape[0] // columns)
    limit = float(kernels.abs().max())
    figure, axes = plt.subplots(rows, columns, figsize=(columns * 0.8, rows * 0.8 + 0.5), dpi=100, squeeze=False)
    for index, axis in enumerate(axes.flat):
        axis.set_axis_off()
        if index < kernels.shape[0]:
            axis.imshow(kernels[index].numpy(), cmap="bwr", vmin=-limit, vmax=limit)
            axis.set_title(str(index), fontsize=7)
    figure.suptitle(f"{name}: the {kernels.shape[0]} learned {kernels.shape[1]}x{kernels.shape[2]} filters of its "
                    "first convolution", fontsize=9)
    figure.tight_layout()
    return _save(figure, path)


def plot_feature_maps(model: nn.Module, name: str, images: torch.Tensor, labels: torch.Tensor, path: Path) -> Path:
    """One test digit and every filter's response in the first two convolutions, before and after pooling.

    Panels are drawn at the same scale per pixel, so the 28x28 -> 14x14 of the pooling shows as
    a mosaic half as large.
    """
    import matplotlib.pyplot as plt
    from matplotlib import gridspec

    index = 0
    maps = convolution_maps(model, images[index])
    mosaics = [("input", images[index, 0].float(), 1)] + [
        (f"{title}\n{tuple(m.shape)}", _mosaic(m, 8), m.shape[0]) for title, m in maps]
    widths = [mosaic.shape[1] for _, mosaic, _ in mosaics]
    height = max(mosaic.shape[0] for _, mosaic, _ in mosaics)
    figure = plt.figure(figsize=(sum(widths) / 40 + 0.6, height / 40 + 0.9), dpi=100)
    grid = gridspec.GridSpec(1, len(mosaics), width_ratios=widths, figure=figure, left=0.01, right=0.99, wspace=0.04,
                             top=1 - 0.75 / (height / 40 + 0.9), bottom=0.01)
    for position, (title, mosaic, _) in enumerate(mosaics):
        axis = figure.add_subplot(grid[position])
        axis.imshow(mosaic.numpy(), cmap="gray" if position == 0 else "magma", interpolation="nearest")
        axis.set_xlim(-0.5, mosaic.shape[1] - 0.5)
        axis.set_ylim(height - 0.5, -0.5)  # same pixel scale in every panel, aligned at the top
        axis.set_axis_off()
        axis.set_title(title if position else f"test digit {index}\n(label {int(labels[index])})", fontsize=8)
    who = f"{name}, the article's CNN" if name == ARTICLE_CNN else name
    figure.suptitle(f"{who}: what each filter responds to (brighter = stronger)", fontsize=9)
    return _save(figure, path)


def plot_mistakes(report: dict[str, Any], images: torch.Tensor, labels: torch.Tensor, path: Path,
                  limit: int = 48) -> Path:
    """The test digits the best CNN gets wrong (the first ``limit``), each with true and predicted label."""
    import matplotlib.pyplot as plt

    wrong, predicted = report["mistakes"], report["mistaken_as"]
    shown = min(len(wrong), limit)
    columns = 12
    rows = max(1, -(-shown // columns))
    figure, axes = plt.subplots(rows, columns, figsize=(columns * 0.9, rows * 1.05 + 0.5), dpi=100, squeeze=False)
    for position, axis in enumerate(axes.flat):
        axis.set_axis_off()
        if position < shown:
            index = wrong[position]
            axis.imshow(images[index, 0].float().numpy(), cmap="gray_r")
            axis.set_title(f"{int(labels[index])} -> {predicted[position]}", fontsize=8, color="#b22222")
    figure.suptitle(f"{report['best_cnn']}: {len(wrong)} of {labels.shape[0]:,} test digits wrong "
                    f"(true -> predicted){f', first {shown} shown' if shown < len(wrong) else ''}", fontsize=9)
    figure.tight_layout()
    return _save(figure, path)


def _save(figure: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    figure.savefig(path)
    plt.close(figure)
    return path
