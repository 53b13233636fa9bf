"""Training streams: what a model actually saw, in training order, up to checkpoint k.

Readers for OLMo (token memmaps + provenance + seeded order), Pythia (Megatron ``.idx``/``.bin``,
pre-shuffled) and Amber (2,049-token JSONL chunks) turn blocks of steps into Parquet shards that the
run layer profiles like any corpus (``derive``); ``exposure`` runs a saved slice on a stream and adds
tokens seen, documents, exposures and a curve over checkpoints to the finding.
"""

from inspectors.streams.derive import StreamCorpus, stream_corpus
from inspectors.streams.spec import catalogue, open_stream

__all__ = ["StreamCorpus", "catalogue", "open_stream", "stream_corpus"]
