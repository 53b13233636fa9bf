"""I/O of one cached ``query run``: attribute footers read and HTTP requests to a remote corpus.

The demo corpus's Parquet shards are served from a loopback HTTP server (``tests/http_server.py``),
profiled once, then ``query run`` is timed and counted on the fully cached corpus: Python-side reads
of attribute Parquet footers and metadata (``pyarrow.parquet.read_schema``/``read_metadata``/
``ParquetFile``, whoever calls them) and requests by method. Pass ``--tree DIR`` to run the same
measurement on another checkout (e.g. a ``git worktree`` of an older commit) for a before/after.

    python benchmarks/bench_run_io.py [--tree DIR] [--query vietnamese_legal_documents]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, default=HERE, help="checkout whose inspectors/ to measure")
    parser.add_argument("--query", default="vietnamese_legal_documents")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE / "tests"))
    sys.path.insert(0, str(args.tree))
    tmp = Path(tempfile.mkdtemp(prefix="bench-run-io-"))
    os.environ["CORPUSCOPE_HOME"] = str(tmp / "home")
    try:
        _measure(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _measure(args, tmp: Path) -> None:
    import pyarrow.parquet as pq
    from click.testing import CliRunner

    from http_server import TestServer
    import inspectors
    from inspectors.cli import main as cli

    data = tmp / "data"
    shutil.copytree(HERE / "sample_data" / "demo" / "flat", data)
    attributes = str(tmp / "home")
    reads = {"footers": 0}
    for name in ("read_schema", "read_metadata"):
        real = getattr(pq, name)

        def counted(where, *a, _real=real, **k):
            if attributes in str(where):
                reads["footers"] += 1
            return _real(where, *a, **k)
        setattr(pq, name, counted)
    real_file = pq.ParquetFile.__init__

    def counted_file(self, source, *a, **k):
        if attributes in str(getattr(source, "name", source)):
            reads["footers"] += 1
        real_file(self, source, *a, **k)
    pq.ParquetFile.__init__ = counted_file

    with TestServer(data) as server:
        listing = tmp / "urls.txt"
        listing.write_text("".join(server.file_url(p.name) + "\n" for p in sorted(data.glob("*.parquet"))))
        runner = CliRunner()
        first = runner.invoke(cli, ["query", "run", args.query, "--corpus", str(listing), "--workers", "1"])
        assert first.exit_code == 0, first.output
        # A new invocation is a new process: forget the per-process stat and footer caches.
        from inspectors.core import storage

        for cache in ("_INFOS", "_TAILS"):
            getattr(storage, cache, {}).clear()
        server.log.reset()
        reads["footers"] = 0
        t0 = time.perf_counter()
        again = runner.invoke(cli, ["query", "run", args.query, "--corpus", str(listing), "--workers", "1"])
        seconds = time.perf_counter() - t0
        assert again.exit_code == 0, again.output
        methods = {}
        for request in server.log.requests:
            methods[request["method"]] = methods.get(request["method"], 0) + 1
        ranged = sum(1 for r in server.log.requests if r.get("range"))
    print(f"tree {args.tree} (corpuscope {inspectors.__version__}); query {args.query}; 3 shards over HTTP, cached")
    print(f"attribute footer reads: {reads['footers']}  (3 shards)")
    print(f"requests: {sum(methods.values())} {methods}; with a Range header: {ranged}; bytes sent {server.log.bytes_sent}")
    print(f"time: {seconds:.2f} s")


if __name__ == "__main__":
    main()
