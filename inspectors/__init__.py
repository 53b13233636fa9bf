"""corpuscope: see what an open LLM saw in training."""

__version__ = "0.1.0"
