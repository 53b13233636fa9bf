"""Training exposure: bytes fetched by a sampled checkpoint-k run, interval coverage, prefilter speed.

Run: ``python benchmarks/bench_exposure.py [--trials 200] [--skip-bytes] [--skip-coverage]``.

1. **Bytes** — a 10 GB-equivalent Pythia-layout stream (2,441,406 sequences of 2,049 uint16 tokens,
   1,024 per step, 2,384 steps) generated on the fly by a loopback HTTP server (``.idx`` and ``.bin``
   range-served, nothing on disk); real GPT-NeoX ids of C4 English with Vietnamese statutes planted at
   a share rising over steps. ``vietnamese_share`` runs on a sample of blocks; the server counts every
   body byte it sends, compared with the bytes of the instances the plan names.
2. **Coverage** — a local stream of 200 steps x 16 sequences with the planted share varying between
   blocks; the truth is the full pass; each seeded trial samples k of 200 one-step blocks and checks
   whether the tokens-seen 95% interval (and each curve point's) holds the truth.
3. **Prefilter** — the token-id prefilter (``inspectors.streams.prefilter``) over 256 MB of token data
   on one core.
4. **Stratified** — one local stream (``--strat-steps`` steps x 16 sequences, windows of 512 tokens,
   Vietnamese statutes planted in 30% of blocks): end-to-end MB/s of token data of the full pass
   (every window decoded and profiled) and of the stratified plan (the prefilter over every window,
   ``--per-stratum`` decoded per stratum), both in this run with one worker, in blocks of
   ``--strat-block-steps`` steps; then the stratified
   95% interval's coverage of the full pass's share over ``--strat-trials`` seeds.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("CORPUSCOPE_HOME", tempfile.mkdtemp(prefix="bench-exposure-"))

from test_streams_build import english, neox, vietnamese_law, write_megatron  # noqa: E402

SEQ, ITEM = 2049, 2049 * 2


class Generated:
    """A Pythia-layout stream whose bytes are computed per range: item i is Vietnamese law when
    ``hash(i) < share(step)``, else English web text (real GPT-NeoX ids of real text)."""

    def __init__(self, n_items: int, batch: int, en: np.ndarray, vi: np.ndarray):
        self.N, self.B, self.en, self.vi = n_items, batch, en, vi
        self.idx_size = 34 + 12 * n_items + 8 * (n_items + 1)
        self.bin_size = n_items * ITEM

    def planted(self, items: np.ndarray) -> np.ndarray:
        steps = items // self.B + 1
        share = 0.002 + 0.02 * steps / (self.N // self.B)
        u = ((items * 2654435761) % 2**32) / 2**32
        return u < share

    def idx(self, start: int, end: int) -> bytes:
        import struct

        head = b"MMIDIDX\x00\x00" + struct.pack("<QBQQ", 1, 8, self.N, self.N + 1)
        out = bytearray()
        for lo, hi, make in ((0, 34, lambda a, b: head[a:b]),
                             (34, 34 + 4 * self.N, self._sizes),
                             (34 + 4 * self.N, 34 + 12 * self.N, self._pointers),
                             (34 + 12 * self.N, self.idx_size, self._docs)):
            a, b = max(start, lo), min(end, hi)
            if a < b:
                out += make(a - lo, b - lo)
        return bytes(out)

    def _sizes(self, a, b):
        i0, i1 = a // 4, -(-b // 4)
        return np.full(i1 - i0, SEQ, "<i4").tobytes()[a - 4 * i0: b - 4 * i0]

    def _pointers(self, a, b):
        i0, i1 = a // 8, -(-b // 8)
        return (np.arange(i0, i1, dtype="<i8") * ITEM).tobytes()[a - 8 * i0: b - 8 * i0]

    def _docs(self, a, b):
        i0, i1 = a // 8, -(-b // 8)
        return np.arange(i0, i1, dtype="<i8").tobytes()[a - 8 * i0: b - 8 * i0]

    def bin(self, start: int, end: int) -> bytes:
        i0, i1 = start // ITEM, -(-end // ITEM)
        items = np.arange(i0, i1)
        vi = self.planted(items)
        offsets = (items * SEQ)[:, None] + np.arange(SEQ)[None, :]
        tokens = np.where(vi[:, None], self.vi[offsets % len(self.vi)], self.en[offsets % len(self.en)])
        blob = tokens.astype("<u2").tobytes()
        return blob[start - i0 * ITEM: end - i0 * ITEM]


def serve(gen: Generated):
    sent = {"bytes": 0, "requests": 0}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def _target(self):
            return (gen.idx, gen.idx_size) if self.path.endswith(".idx") else (gen.bin, gen.bin_size)

        def do_HEAD(self):
            _, size = self._target()
            self.send_response(200)
            self.send_header("Content-Length", str(size))
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("ETag", '"gen-1"')
            self.end_headers()

        def do_GET(self):
            make, size = self._target()
            first, last = self.headers["Range"].removeprefix("bytes=").split("-")
            start, end = int(first), min(size, int(last) + 1 if last else size)
            body = make(start, end)
            sent["bytes"] += len(body)
            sent["requests"] += 1
            self.send_response(206)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{size}")
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, sent


def pools():
    tok = neox()
    en = np.array(tok.encode("\n\n".join(english(1000)), add_special_tokens=False).ids, dtype=np.uint16)
    vi = np.array(tok.encode("\n\n".join(vietnamese_law(109)), add_special_tokens=False).ids, dtype=np.uint16)
    return en, vi


def bench_bytes(en, vi, blocks: int = 3, up_to: int = 2000) -> dict:
    from inspectors.core.plan import Plan
    from inspectors.core.queries import find
    from inspectors.core.run import RunOptions
    from inspectors.streams import exposure, open_stream, stream_corpus

    gen = Generated(10 * 10**9 // ITEM, 1024, en, vi)
    httpd, sent = serve(gen)
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/pythia/document"
        t0 = time.perf_counter()
        stream = open_stream(f"pythia:{url}", batch=1024)
        plan = Plan("shard_sample", sample_shards=blocks, seed=7)
        sc = stream_corpus(stream, up_to, block_steps=1, plan=plan)
        finding = exposure.run(find("vietnamese_share"), sc, plan=plan, options=RunOptions(workers=2), curve=5)
        seconds = time.perf_counter() - t0
    finally:
        httpd.shutdown()
    named = blocks * 1024 * ITEM
    items = np.arange(up_to * 1024)
    truth = float(gen.planted(items).mean())
    seen = finding.estimates["tokens_seen"]
    return {"stream_bytes": gen.bin_size + gen.idx_size, "named": named, "sent": sent["bytes"],
            "requests": sent["requests"], "ratio": sent["bytes"] / named, "seconds": seconds,
            "share": seen["share"], "ci95": seen["ci95"], "planted": truth}


def bench_coverage(en, vi, trials: int, ks=(20, 50)) -> dict:
    from inspectors.core.plan import Plan
    from inspectors.core.queries import find
    from inspectors.core.run import RunOptions
    from inspectors.streams import exposure, open_stream, stream_corpus

    steps, B = 200, 16
    folder = Path(tempfile.mkdtemp(prefix="bench-exposure-stream-"))
    prefix = planted_stream(en, vi, steps, B, folder)
    query_file = folder / "vi_letters.sql"
    query_file.write_text(VI_LETTERS)
    query = find(str(query_file))
    stream = open_stream(f"pythia:{prefix}", batch=B)
    options = RunOptions(workers=2, evidence_docs=0)
    full = exposure.run(query, stream_corpus(stream, steps, 1), options=options, curve=5)
    truth = full.estimates["tokens_seen"]["share"]
    truth_curve = [p["tokens_seen"]["share"] for p in full.extra["curve"]]
    out = {"truth": truth}
    for k in ks:
        hits, curve_hits, curve_n, widths, t0 = 0, 0, 0, [], time.perf_counter()
        for seed in range(trials):
            plan = Plan("shard_sample", sample_shards=k, seed=seed)
            f = exposure.run(query, stream_corpus(stream, steps, 1, plan), plan=plan, options=options, curve=5)
            lo, hi = f.estimates["tokens_seen"]["ci95"]
            hits += lo <= truth <= hi
            widths.append(hi - lo)
            for p, t in zip(f.extra["curve"], truth_curve):
                if p["tokens_seen"] and p["clusters_read"] < p["clusters_total"]:
                    curve_n += 1
                    curve_hits += p["tokens_seen"]["ci95"][0] <= t <= p["tokens_seen"]["ci95"][1]
        out[k] = {"coverage": hits / trials, "curve_coverage": curve_hits / max(1, curve_n), "curve_points": curve_n,
                  "mean_width": float(np.mean(widths)), "seconds_per_trial": (time.perf_counter() - t0) / trials}
    return out


VI_LETTERS = ("-- ---\n-- title: Vietnamese letters\n-- description: windows with Vietnamese letters\n"
              "-- version: 1\n-- kind: slice\n-- requires: [length, tokens]\n-- ---\n"
              "SELECT * FROM documents WHERE regexp_matches(text, '[ăđơưạảấầẩẫậắằẳẵặẹẻẽếềểễệịọỏốồổỗộớờởỡợụủứừửữự]')\n")


def planted_stream(en, vi, steps: int, B: int, folder: Path, hot: float = 0.3, seed: int = 11) -> Path:
    """A Pythia-layout stream of ``steps`` x ``B`` sequences: English web text, Vietnamese statutes in a
    share of sequences that varies by block (``hot`` of the blocks at a Beta(2, 5) rate, 1% elsewhere)."""
    rng = np.random.default_rng(seed)
    block_rate = np.where(rng.random(steps) < hot, rng.beta(2, 5, steps), 0.01)
    seqs, pe, pv = [], 0, 0
    for item in range(steps * B):
        if rng.random() < block_rate[item // B]:
            seqs.append(vi[(pv + np.arange(SEQ)) % len(vi)])
            pv += SEQ
        else:
            seqs.append(en[(pe + np.arange(SEQ)) % len(en)])
            pe += SEQ
    write_megatron(folder / "document", seqs)
    return folder / "document"


def bench_stratified(en, vi, steps: int, trials: int, per_stratum: int, block_steps: int = 10,
                     first_seed: int = 1, hot: float = 0.3, skip_full: bool = False) -> dict:
    from inspectors.core.plan import Plan
    from inspectors.core.queries import find
    from inspectors.core.run import RunOptions, run_exposure
    from inspectors.streams import open_stream

    B, window = 16, 512
    folder = Path(tempfile.mkdtemp(prefix="bench-exposure-strat-"))
    prefix = planted_stream(en, vi, steps, B, folder, hot=hot)
    (folder / "vi_letters.sql").write_text(VI_LETTERS)
    query = find(str(folder / "vi_letters.sql"))
    stream = open_stream(f"pythia:{prefix}", batch=B, window=window)
    options = RunOptions(workers=1, evidence_docs=0)
    token_mb = steps * B * SEQ * 2 / 1e6
    out = {"token_mb": token_mb, "windows": steps * B * -(-SEQ // window), "blocks": -(-steps // block_steps)}
    plans = [("full", Plan())] * (not skip_full) + [("stratified", Plan("stratified", per_stratum=per_stratum, seed=0))]
    for name, plan in plans:
        t0, c0 = time.perf_counter(), time.process_time()
        f = run_exposure(query, stream, steps, plan=plan, options=options, block_steps=block_steps, curve=5)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        out[name] = {"seconds": wall, "cpu_seconds": cpu, "mb_per_s": token_mb / wall, "mb_per_cpu_s": token_mb / cpu,
                     "share": f.estimates["tokens_seen"]["share"], "ci95": f.estimates["tokens_seen"]["ci95"]}
        if name == "stratified":
            out[name]["strata"] = f.extra["strata"]
    if skip_full:
        print("stratified:", out, flush=True)
        return out
    out["speedup"] = out["full"]["seconds"] / out["stratified"]["seconds"]
    out["cpu_speedup"] = out["full"]["cpu_seconds"] / out["stratified"]["cpu_seconds"]
    print("stratified vs full:", out, flush=True)
    truth = out["full"]["share"]
    hits, widths, t0 = 0, [], time.perf_counter()
    for seed in range(first_seed, first_seed + trials):
        plan = Plan("stratified", per_stratum=per_stratum, seed=seed)
        lo, hi = run_exposure(query, stream, steps, plan=plan, options=options, block_steps=block_steps,
                              curve=1).estimates["tokens_seen"]["ci95"]
        hits += lo <= truth <= hi
        widths.append(hi - lo)
    out["coverage"] = {"trials": trials, "coverage": hits / max(1, trials), "mean_width": float(np.mean(widths or [0])),
                       "seconds_per_trial": (time.perf_counter() - t0) / max(1, trials)}
    return out


def bench_pass1(en, vi, steps: int, block_steps: int = 10) -> dict:
    """Pass 1 of a stratified run alone (read the block's ids, the prefilter, the strata), on one core."""
    from inspectors.streams import open_stream, stream_corpus
    from inspectors.streams.stratify import prefilter_block

    B = 16
    folder = Path(tempfile.mkdtemp(prefix="bench-exposure-pass1-"))
    stream = open_stream(f"pythia:{planted_stream(en, vi, steps, B, folder)}", batch=B, window=512)
    from inspectors.core.plan import Plan

    sc = stream_corpus(stream, steps, block_steps, Plan("stratified"))
    clusters = {s.uri: (c.first, c.last) for s, c in zip(sc.corpus.shards, sc.clusters)}
    prefilter_block(sc.corpus.shards[0], stream, clusters)  # the table and the page cache, once
    best = None
    for _ in range(3):
        t0 = time.process_time()
        rows = sum(len(prefilter_block(shard, stream, clusters)["row"]) for shard in sc.corpus.shards)
        cpu = time.process_time() - t0
        best = cpu if best is None else min(best, cpu)
    mb = steps * B * SEQ * 2 / 1e6
    return {"token_mb": mb, "windows": rows, "cpu_seconds": best, "mb_per_cpu_s": mb / best}


def bench_prefilter(en, vi, megabytes: int = 256) -> dict:
    from inspectors.streams.prefilter import candidate_windows, vietnamese_table

    table = vietnamese_table("gpt-neox-20b")
    n = megabytes * 2**20 // 2
    tokens = np.resize(np.concatenate([en, vi[: len(en) // 50]]), n).astype(np.uint16)
    best = None
    for _ in range(3):
        t0 = time.perf_counter()
        hits = candidate_windows(tokens, SEQ, table)
        elapsed = time.perf_counter() - t0
        best = elapsed if best is None else min(best, elapsed)
    return {"mb": megabytes, "seconds": best, "mb_per_s": megabytes * 1.048576 / best, "candidates": float(hits.mean())}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--skip-bytes", action="store_true")
    parser.add_argument("--skip-coverage", action="store_true")
    parser.add_argument("--blocks", type=int, default=10, help="One-step blocks the bytes run samples.")
    parser.add_argument("--skip-stratified", action="store_true")
    parser.add_argument("--only-stratified", action="store_true")
    parser.add_argument("--only-pass1", action="store_true")
    parser.add_argument("--strat-steps", type=int, default=200)
    parser.add_argument("--strat-trials", type=int, default=100)
    parser.add_argument("--per-stratum", type=int, default=200)
    parser.add_argument("--strat-first-seed", type=int, default=1, help="Seed of the first coverage trial.")
    parser.add_argument("--strat-block-steps", type=int, default=10, help="Steps per block (16 sequences each).")
    parser.add_argument("--strat-hot", type=float, default=0.3, help="Share of steps with a Beta(2, 5) Vietnamese rate.")
    parser.add_argument("--strat-skip-full", action="store_true", help="Time the stratified plan only (large streams).")
    args = parser.parse_args()
    en, vi = pools()
    if args.only_pass1:
        print("pass 1:", bench_pass1(en, vi, args.strat_steps, args.strat_block_steps), flush=True)
        return
    if not args.skip_stratified:
        print("stratified:", bench_stratified(en, vi, args.strat_steps, args.strat_trials, args.per_stratum,
                                                         args.strat_block_steps, args.strat_first_seed, args.strat_hot,
                                                         args.strat_skip_full), flush=True)
    if args.only_stratified:
        return
    print("prefilter:", bench_prefilter(en, vi), flush=True)
    if not args.skip_bytes:
        print("bytes:", bench_bytes(en, vi, args.blocks), flush=True)
    if not args.skip_coverage:
        print("coverage:", bench_coverage(en, vi, args.trials), flush=True)


if __name__ == "__main__":
    main()
