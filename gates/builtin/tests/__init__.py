"""The tests gate: the repo's own suite on the merge result, coverage on new code."""
