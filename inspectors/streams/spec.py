"""Stream specs: ``olmo:CONFIG.yaml``, ``pythia:PATH_OR_URL``, ``amber:PATH_OR_URL`` or a catalogue name
from ``inspectors/data/streams.yaml`` (the official OLMo, Pythia and Amber runs)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from inspectors.core.errors import BadInput

STREAMS_FILE = Path(__file__).resolve().parents[1] / "data" / "streams.yaml"
KINDS = ("olmo", "pythia", "amber")


@cache
def catalogue() -> dict[str, dict]:
    """The built-in stream entries by name (parsed offline)."""
    data = yaml.safe_load(STREAMS_FILE.read_text(encoding="utf-8")) or {}
    return {entry["name"]: entry for entry in data.get("streams", [])}


def open_stream(spec: str, tokenizer: str | None = None, window: int | None = None, world_size: int | None = None,
                batch: int | None = None):
    """The reader a spec names; options override the spec's defaults."""
    from inspectors.streams.amber import AmberStream
    from inspectors.streams.olmo import OlmoStream
    from inspectors.streams.pythia import PythiaStream

    kind, _, target = spec.partition(":")
    name = None
    if kind not in KINDS or not target:
        entry = catalogue().get(spec)
        if entry is None:
            raise BadInput(f"{spec}: give olmo:CONFIG.yaml, pythia:PATH_OR_URL, amber:PATH_OR_URL or one of "
                           f"{', '.join(sorted(catalogue()))}")
        kind, target, name = entry["kind"], entry["location"], entry["name"]
        tokenizer = tokenizer or entry.get("tokenizer")
        batch = batch or entry.get("batch_instances")
        world_size = world_size or entry.get("world_size")
    if kind == "olmo":
        return OlmoStream(target, world_size=world_size, tokenizer=tokenizer, name=name)
    if kind == "pythia":
        return PythiaStream(target, batch=batch or 1024, window=window, tokenizer=tokenizer or "gpt-neox-20b",
                            name=name)
    return AmberStream(target, tokenizer=tokenizer or "llama", name=name)
