"""Where corpuscope keeps its files: everything lives under ``CORPUSCOPE_HOME``."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """The cache root: ``$CORPUSCOPE_HOME``, else ``~/.cache/corpuscope``."""
    root = os.environ.get("CORPUSCOPE_HOME") or os.path.join(
        os.path.expanduser("~"), ".cache", "corpuscope"
    )
    return Path(root)


TOKENIZER_DIR_ENV = "CORPUSCOPE_TOKENIZER_DIR"


def tokenizer_dir() -> Path:
    """The folder of tokenizer files the user provides or fetches: ``$CORPUSCOPE_TOKENIZER_DIR``, else
    ``$CORPUSCOPE_HOME/tokenizers``."""
    folder = os.environ.get(TOKENIZER_DIR_ENV)
    return Path(folder) if folder else home() / "tokenizers"


def user_catalogue() -> Path:
    """The user's own catalogue file, merged over the built-in one."""
    return home() / "catalogue.yaml"


def attributes_root() -> Path:
    """Folder of attribute shards, one sub-folder per corpus."""
    return home() / "attributes"
