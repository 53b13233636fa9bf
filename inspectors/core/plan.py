"""Sample plans: which shards, and how many rows of each, a scan reads."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass

from inspectors.core.errors import BadInput
from inspectors.core.shards import Shard

STRATEGIES = ("full", "shard_sample", "stratified")


@dataclass(frozen=True)
class Plan:
    """How a scan draws its documents.

    ``full`` reads every row of every shard. ``shard_sample`` reads ``sample_shards`` shards drawn
    uniformly without replacement with ``seed`` (and at most ``rows_per_shard`` rows of each).
    ``stratified`` prefilters every document of the chosen shards cheaply and runs the expensive
    inspectors on ``per_stratum`` seeded random documents of each stratum.
    """

    strategy: str = "full"
    sample_shards: int | None = None
    rows_per_shard: int | None = None
    seed: int = 0
    per_stratum: int | None = None

    def __post_init__(self):
        if self.strategy not in STRATEGIES:
            raise BadInput(f"plan strategy must be one of {STRATEGIES}, got {self.strategy!r}")
        for name in ("sample_shards", "rows_per_shard", "per_stratum"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise BadInput(f"--{name.replace('_', '-')} must be at least 1, got {value}")

    @classmethod
    def from_options(cls, sample_shards=None, rows_per_shard=None, seed=0, stratified=False, per_stratum=None) -> "Plan":
        """The plan the CLI flags describe; a flag set to 0 is refused, not read as unset."""
        if stratified:
            if rows_per_shard is not None:
                raise BadInput("--rows-per-shard does not apply to --stratified (every row of a shard is prefiltered)")
            return cls("stratified", sample_shards, None, seed, 200 if per_stratum is None else per_stratum)
        if per_stratum is not None:
            raise BadInput("--per-stratum needs --stratified")
        if sample_shards is not None or rows_per_shard is not None:
            return cls("shard_sample", sample_shards, rows_per_shard, seed)
        return cls()

    def choose(self, shards: list[Shard]) -> list[Shard]:
        """The shards this plan reads, in corpus order (the same for the same seed and shard list)."""
        if not self.sample_shards or self.sample_shards >= len(shards):
            return list(shards)
        picked = set(random.Random(self.seed).sample(range(len(shards)), self.sample_shards))
        return [s for i, s in enumerate(shards) if i in picked]

    def is_exact(self, shards_total: int) -> bool:
        """True when the plan reads every row of every shard."""
        return self.strategy == "full" or (
            self.strategy == "shard_sample"
            and (not self.sample_shards or self.sample_shards >= shards_total)
            and self.rows_per_shard is None
        )

    def to_dict(self) -> dict:
        """Plain fields, for findings."""
        return asdict(self)
