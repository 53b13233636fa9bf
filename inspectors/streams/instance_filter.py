"""OLMo's ``data.instance_filter``: instances with a highly repeated short n-gram are not trained on.

Spec (allenai/OLMo ``olmo/config.py`` ``InstanceFilterConfig``; ``olmo/data/memmap_dataset.py``
``_validate_instance``; ``olmo/data/util.py`` ``find_periodic_sequences``; ``olmo/train.py``): with
``repetition_min_period`` (default 1), ``repetition_max_period`` (13) and ``repetition_max_count``
(32), an instance is masked when, for some period p in ``[min, min(max, len // 3)]``, a stretch of
its tokens repeats with period p at least ``max_count`` times (``times = stretch length // p``; the
search reports only stretches repeated more than twice). The instance is still read at its step, but
the trainer sets all its labels to -100, so no token of it reaches the loss: for coverage of what a
model learnt from, its occurrences are not counted.

A stretch with period p is a maximal run of positions i with ``ids[i] == ids[i + p]``; a run of r
such positions is a stretch of r + p tokens.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from inspectors.core.errors import BadInput


@dataclass(frozen=True)
class InstanceFilter:
    """The config's repetition filter (OLMo's defaults)."""

    min_period: int = 1
    max_period: int = 13
    max_count: int = 32

    @classmethod
    def from_config(cls, value, where: str = "data.instance_filter") -> "InstanceFilter | None":
        """The filter a config's ``data.instance_filter`` sets (``None`` when absent or null)."""
        if value is None:
            return None
        if not isinstance(value, dict):
            raise BadInput(f"{where}: expected a mapping of repetition_min_period, repetition_max_period, "
                           f"repetition_max_count, got {value!r}")
        known = {"repetition_min_period", "repetition_max_period", "repetition_max_count"}
        unknown = sorted(set(value) - known)
        if unknown:
            raise BadInput(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})")
        made = cls(int(value.get("repetition_min_period", 1)), int(value.get("repetition_max_period", 13)),
                   int(value.get("repetition_max_count", 32)))
        if made.min_period < 1 or made.max_period < made.min_period:
            raise BadInput(f"{where}: need 1 <= repetition_min_period <= repetition_max_period")
        return made

    def masks(self, ids: np.ndarray) -> bool:
        """True when the instance ``ids`` is masked from the loss (see the module docstring)."""
        return max_repeats(ids, self.min_period, self.max_period) >= max(3, self.max_count)


def max_repeats(ids: np.ndarray, min_period: int, max_period: int) -> int:
    """The most times any stretch of ``ids`` repeats with a period in ``[min_period, min(max_period, len // 3)]``."""
    ids = np.asarray(ids)
    best = 0
    for p in range(min_period, min(max_period, len(ids) // 3) + 1):
        same = np.concatenate([[False], ids[p:] == ids[:-p], [False]])
        edges = np.flatnonzero(same[1:] != same[:-1])  # starts and ends of runs, alternating
        longest = int((edges[1::2] - edges[::2]).max()) if len(edges) else 0
        best = max(best, (longest + p) // p)  # no run: each stretch of p tokens occurs once
    return best
