"""Public grader tests (a package, so that hidden/ may reuse file names: test_ex2_conv2d.py in both)."""
