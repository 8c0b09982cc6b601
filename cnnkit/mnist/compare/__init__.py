"""``cnnkit compare``: train the plain net and the CNNs on MNIST, side by side, and say what is true.

The comparison itself is exercise 15 (``ex15_mnist.compare_models``), run with the reference
solutions (``--solutions``) or with a student's own modules (``--submission DIR``, default
``exercises/`` when there are no solutions). This package only supplies what surrounds it:

* the data: the whole of MNIST loaded once into memory (``cnnkit.mnist.data``), cut into batches
  from memory instead of a DataLoader decoding one PIL image at a time;
* the context training runs in: the device (``--device auto``: CUDA, then Apple's MPS, then
  CPU), channels-last memory format for convolutions, bfloat16 autocast where the hardware
  computes in bfloat16 natively (AVX-512 BF16 / AMX on CPU, bf16-capable GPUs), float32
  elsewhere, all cores for intra-op threads, denormals flushed to zero;
* on the CPU: the allocator keeps freed memory for the next step instead of handing it back
  to the system (``keep_freed_memory``), and max-pooling and dropout run on faster equivalent
  kernels (``cnnkit.mnist.fast_layers``; ``--stock-layers`` keeps PyTorch's own);
* Adam built with its fused kernel where the device has one (``fastest_adam``);
* a progress bar per epoch (running loss, images/s), the table, JSON and plots: loss,
  accuracy, confusion matrix, what the best CNN learned (``filters.png``, ``mistakes.png``)
  and what the article's CNN computes on one digit (``feature_maps.png``: its single pooling
  takes 28x28 to 14x14, not the 7x7 the article's comment says).

The recipe is the article's: Adam at a constant learning rate of 0.001, batch 64, 10 epochs,
all 60,000 training images, the test set evaluated once at the end. Improvements are opt-in
(``--lr-decay``) and are to be chosen with ``--validation``: the last 5,000 training images are
held out and their accuracy is reported after every epoch; the test set never chooses anything.

The package, one module a concern (each name below stays importable from ``cnnkit.mnist.compare``):

* ``command``: the command line (``add_arguments``, ``run``) and the outputs it writes;
* ``sources``: where the code comes from (``code_folder``, ``load_comparison``, ``parse_models``);
* ``context``: the device, precision, threads, allocator, fused Adam and ``prepare_model`` hook;
* ``progress``: ``ProgressBatches``, the batches with a bar, validation and early stopping;
* ``evaluation``: predictions, loss and accuracy, the confusion matrix;
* ``training``: the data and ``run_comparison``, whose report is the comparison's record;
* ``tables``: the results table; ``plots`` and ``learned``: the PNGs and what the CNNs learned.
"""

from __future__ import annotations

from cnnkit.mnist.compare.command import add_arguments, run, write_outputs
from cnnkit.mnist.compare.context import (cpu_has_native_bf16, fastest_adam, fused_optimizers_supported,
                                          keep_freed_memory, model_preparer, pick_device, pick_precision,
                                          training_context, usable_cores)
from cnnkit.mnist.compare.evaluation import EVAL_BATCH_SIZE, confusion_matrix, evaluate, predict
from cnnkit.mnist.compare.learned import ARTICLE_CNN, convolution_maps, feature_maps_model, first_convolutions
from cnnkit.mnist.compare.plots import (plot_curves, plot_feature_maps, plot_filters, plot_mistakes,
                                        plot_results)
from cnnkit.mnist.compare.progress import ProgressBatches
from cnnkit.mnist.compare.sources import (CODE_MODULES, COMPARISON, MODEL_KEYS, OWN_KEY, OWN_MODEL, OWN_MODULE,
                                          TROUBLESHOOTING, code_folder, load_comparison, load_troubleshooting,
                                          parse_models)
from cnnkit.mnist.compare.tables import format_table, truth_notes
from cnnkit.mnist.compare.training import (BACKGROUND, Dataset, diagnosis, exercise14_hooks, load_data, record_curves,
                                           run_comparison, train_own_cnn)

__all__ = [
    "ARTICLE_CNN", "BACKGROUND", "CODE_MODULES", "COMPARISON", "EVAL_BATCH_SIZE", "MODEL_KEYS", "OWN_KEY",
    "OWN_MODEL", "OWN_MODULE", "TROUBLESHOOTING", "Dataset", "ProgressBatches", "add_arguments", "code_folder",
    "confusion_matrix", "convolution_maps", "cpu_has_native_bf16", "diagnosis", "evaluate", "exercise14_hooks",
    "fastest_adam", "feature_maps_model", "first_convolutions", "format_table", "fused_optimizers_supported",
    "keep_freed_memory", "load_comparison", "load_data", "load_troubleshooting", "model_preparer", "parse_models",
    "pick_device", "pick_precision", "plot_curves", "plot_feature_maps", "plot_filters", "plot_mistakes",
    "plot_results", "predict", "record_curves", "run", "run_comparison", "train_own_cnn", "training_context",
    "truth_notes", "usable_cores", "write_outputs",
]  # fmt: skip
