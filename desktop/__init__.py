"""Fieldmark's offline core: models, local store, mutations and rules. Imports no Qt and no network code."""

__version__ = "0.1.0"
