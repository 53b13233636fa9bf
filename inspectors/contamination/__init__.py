"""Contamination per evaluation item: which benchmark items occur in a corpus, under named methods.

``load_bench`` reads the items, ``run_contamination`` scans a corpus on the run layer's engines, and
``join`` compares accuracy on dirty and not-found items from lm-eval samples files.
"""

from inspectors.contamination.bench import Bench, Item, load_bench
from inspectors.contamination.run import run_contamination

__all__ = ["Bench", "Item", "load_bench", "run_contamination"]
