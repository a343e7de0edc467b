"""Demo organisation and scale data. ``python -m desktop.demo --help``."""

from desktop.demo.generator import Cancelled, Summary, generate, is_empty, seed_demo

__all__ = ["Cancelled", "Summary", "generate", "is_empty", "seed_demo"]
