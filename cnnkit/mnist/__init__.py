"""MNIST: the data (``data``), the ``cnnkit compare`` training comparison of exercise 15 (``compare``)
and the faster drop-in layers it trains with on CPU (``fast_layers``)."""
