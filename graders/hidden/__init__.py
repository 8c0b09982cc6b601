"""Hidden grader tests: instructors only (same file names as the public ones, one per exercise)."""
