"""Peak RSS of one profile worker by row-group size (issue 16 item 14).

Writes a Parquet shard whose text (random, so it barely compresses) sits in ONE row group of about N MB, profiles it in a fresh
process with the ``length`` and ``web_domain`` inspectors, and prints the child's peak RSS
(``ru_maxrss``). Run:  python benchmarks/bench_memory.py 200 600
"""

from __future__ import annotations

import base64
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
DOC_CHARS = 20_000

CHILD = """
import json, resource, sys
from inspectors.core.profile import profile_shard
from inspectors.core.registry import resolve
from inspectors.core.shards import shard_for
shard = shard_for(sys.argv[1])
result = profile_shard(shard, [c.key() for c in resolve(["length", "web_domain"])], {}, None, sys.argv[2])
print(json.dumps({"status": result.status, "rows": result.rows, "error": result.error,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def write_shard(path: Path, megabytes: int) -> int:
    rows = megabytes * 1024 * 1024 // DOC_CHARS
    table = pa.table({"id": [str(i) for i in range(rows)], "text": [base64.b64encode(os.urandom(DOC_CHARS * 3 // 4)).decode() for _ in range(rows)],
                      "url": [f"https://example.org/{i}" for i in range(rows)]})
    pq.write_table(table, path, compression="zstd", row_group_size=rows)  # one row group
    return rows


def main(sizes: list[int]) -> None:
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for mb in sizes:
            path = Path(tmp) / f"rg-{mb}.parquet"
            # Written by its own process: Linux carries a parent's peak RSS into a forked child's
            # ru_maxrss, so this process must stay small for the child's figure to be its own.
            subprocess.run([sys.executable, __file__, "--write", str(path), str(mb)], check=True)
            rows = pq.ParquetFile(path).metadata.num_rows
            groups = pq.ParquetFile(path).metadata.num_row_groups
            env = {**os.environ, "PYTHONPATH": str(REPO), "CORPUSCOPE_HOME": str(Path(tmp) / "home")}
            child = subprocess.run([sys.executable, "-c", CHILD, str(path), str(Path(tmp) / "attrs")],
                                   capture_output=True, text=True, env=env, check=True)
            result = json.loads(child.stdout.strip().splitlines()[-1])
            out.append({"text_mb": mb, "rows": rows, "row_groups": groups, **result})
            print(json.dumps(out[-1]), flush=True)
            path.unlink()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--write"]:
        write_shard(Path(sys.argv[2]), int(sys.argv[3]))
    else:
        main([int(a) for a in sys.argv[1:]] or [200, 600])
