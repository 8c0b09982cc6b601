"""MNIST: the data (``data``), the ``cnnkit compare`` training comparison (``compare``), the faster
drop-in layers it trains with on CPU (``fast_layers``), and the checks exercise 14's graders share
(``grading``)."""
