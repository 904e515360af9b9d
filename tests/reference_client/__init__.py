"""The 1.0 reference client's own tests against this package (`nox -s compat`)."""
