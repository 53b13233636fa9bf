"""Contamination per benchmark item: strided corpus hashing, exact verification, named verdicts.

Corpus side (``scan_shard``, run per shard by the executors): every ``stride``-th 8-gram of each
document is hashed and looked up in the benchmark's 8-gram hashes. A document with a hit is a
candidate; its every 8-gram is then hashed and each hit verified token by token against the item.
Any overlap of at least ``8 + stride - 1`` tokens is therefore found; shorter ones may be missed.

Benchmark n-grams found in more than ``boilerplate_df`` documents are boilerplate: ignored for every
verdict and reported. Per item and per side (question, answer): ``n_ngrams`` (8-grams),
``n_matched``, ``frac_matched``, ``longest_match`` (tokens and characters, one document) and the
matching documents; verdicts under each named method:

- ``gpt3``: any 13-token overlap (GPT-3, Brown et al. 2020).
- ``palm``: at least 70% of the side's 8-grams occur in the corpus (PaLM, Chowdhery et al. 2022).
- ``llama2``: share of the side's tokens inside matches of more than 10 tokens, gaps of up to
  ``skip_budget`` tokens bridged (Llama 2, Touvron et al. 2023); dirty at 80% or more.

A verdict is ``dirty``, ``not found`` or ``too short``: never "clean". Scans at a stride and of a
shard sample find a lower bound of the overlap.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np
import pyarrow.compute as pc

from inspectors.contamination.bench import Bench
from inspectors.contamination.text import Tokens, index_ranges, character_tokens, ngram_hashes, ngram_hashes_at, tokenize

N = 8
VERSION = 3  # 3: Thai, Lao, Khmer and Myanmar tokenised by character
GPT3_N = 13
GPT3_CHARS = 50  # the GPT-3 rule where tokens are characters (CJK, Thai…): a 50-character run, as Data Portraits
PALM_CUT = 0.70
LLAMA_MIN = 11  # "more than 10 tokens"
LLAMA_CUT = 0.80
SKIP_BUDGET = 4
SIDES = ("question", "answer")
# Texts hashed together. Each chunk costs ~0.15-0.3 ms of fixed numpy calls, which is why smaller
# chunks (8-32k, arrays within L2) measured slower, and larger ones no faster (issue 18). The stride
# positions count from a chunk's first token, so changing this changes which short overlaps are found.
CHUNK_CHARS = 64_000
# Chunks tokenised and looked up together, the stride still counted per chunk (the output is the same):
# half the fixed per-call numpy cost. Kernel over the multilingual mix: 2 chunks 0.88-0.92x the time of 1,
# 3 or 4 chunks no better, 8 chunks 0.92-0.99x, 16 chunks 1.4x (their arrays leave the cache) (issue 18, session 9).
BLOCK_CHUNKS = 2
HONESTY = ("Matches are verified exactly, so every 'dirty' verdict is real; 'not found' is not 'clean': "
           "overlaps shorter than n+stride-1 tokens can be missed, and a shard sample or a row limit "
           "reads part of the corpus, so found counts are lower bounds.")


@dataclass
class BenchIndex:
    """What a worker needs: the sides' tokens and a sorted table hash -> (side, position)."""

    digest: str
    side_tokens: list[list[str]]
    table_hash: np.ndarray  # sorted uint64
    table_side: np.ndarray  # int32
    table_pos: np.ndarray  # int32
    side_hashes: list[np.ndarray] = field(repr=False, default_factory=list)
    side_chars: list[tuple[np.ndarray, np.ndarray]] = field(repr=False, default_factory=list)
    side_charwise: list[bool] = field(repr=False, default_factory=list)  # most tokens are single characters
    # For verification by code points: the sides' normalised code points joined, every token's start
    # and end in them, and each side's first token (so side s, position q is token side_first[s] + q).
    item_cp: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, np.uint32))
    item_starts: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, np.int64))
    item_ends: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, np.int64))
    side_first: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, np.int64))
    _prefilter: np.ndarray | None = field(repr=False, default=None, compare=False)  # built by ``_lookup``


def index_bench(bench: Bench) -> BenchIndex:
    """Tokenise both sides of every item (side ``2*i`` is the question, ``2*i+1`` the answer)."""
    texts = [t for item in bench.items for t in (item.question, item.answer)]
    tk = tokenize(texts)
    pos, hashes = ngram_hashes(tk, N, 1)
    side = tk.doc[pos].astype(np.int32)
    first = np.searchsorted(tk.doc, np.arange(len(texts)), "left")
    local = (pos - first[side]).astype(np.int32)
    order = np.argsort(hashes, kind="stable")
    side_tokens, side_hashes, side_chars, side_charwise = [], [], [], []
    single = character_tokens(tk)
    bounds = np.searchsorted(tk.doc, np.arange(len(texts) + 1), "left")
    by_side = np.searchsorted(side, np.arange(len(texts) + 1), "left")
    for s in range(len(texts)):
        lo, hi = int(bounds[s]), int(bounds[s + 1])
        side_tokens.append([tk.joined[a:b] for a, b in zip(tk.starts[lo:hi], tk.ends[lo:hi])])
        side_hashes.append(hashes[by_side[s]:by_side[s + 1]])
        off = tk.offsets[s]
        side_chars.append((tk.starts[lo:hi] - off, tk.ends[lo:hi] - off))
        side_charwise.append(bool(hi > lo and 2 * single[lo:hi].sum() > hi - lo))
    return BenchIndex(bench.digest(), side_tokens, hashes[order], side[order], local[order], side_hashes, side_chars,
                      side_charwise, tk.cp, tk.starts, tk.ends, bounds[:-1].astype(np.int64))


def _worker_index(index: BenchIndex) -> BenchIndex:
    """The index without what only the driver needs (smaller to ship to workers): the items' tokens as
    strings only serve ``aggregate``; workers verify by code points."""
    return BenchIndex(index.digest, [], index.table_hash, index.table_side, index.table_pos,
                      item_cp=index.item_cp, item_starts=index.item_starts, item_ends=index.item_ends,
                      side_first=index.side_first)


def cache_key(fingerprint: str, digest: str, stride: int, limit, overrides, df_cap: int, steps: bool = False) -> str:
    payload = json.dumps([VERSION, N, fingerprint, digest, stride, limit, sorted((overrides or {}).items()), df_cap,
                          steps])
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def write_atomic(path: str, data: dict) -> None:
    """Write ``data`` as JSON to ``path`` so a reader never sees half a file."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(data))  # dumps uses the C encoder; dump streams through the Python one
    os.replace(tmp, path)


def scan_shard(shard, *, index: BenchIndex, stride: int, limit: int | None, overrides: dict | None,
               df_cap: int, cache_dir: str, steps: bool = False) -> dict:
    """Scan one shard (top level, so process pools and Ray can run it); cached per shard.

    ``steps``: the shard is a training stream's block (``step`` column): each matched document
    records the optimizer step that consumed it.
    """
    from inspectors.core.shards import detect_columns, read_batches

    key = cache_key(shard.fingerprint(), index.digest, stride, limit, overrides, df_cap, steps)
    path = os.path.join(cache_dir, f"{key}.json")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            out = json.load(handle)
        out["cached"] = True
        return out
    started, cpu = time.perf_counter(), time.process_time()
    mapping = detect_columns(shard, overrides)
    docs, pairs, df = [], [], {}
    n_docs = n_bytes = n_tokens = 0
    for batch in read_batches(shard, mapping, ("id", "text"), limit, batch_rows=4096):
        column = batch.column("text")
        texts = [t or "" for t in column.to_pylist()]
        n_bytes += pc.sum(pc.binary_length(column)).as_py() or 0
        rows, ids = batch.column("row").to_pylist(), batch.column("id").to_pylist()
        n_docs += len(texts)
        for lo, hi, chunks in _blocks(texts):
            tk = tokenize(texts[lo:hi])
            n_tokens += len(tk.hashes)
            pos, hashes = ngram_hashes(tk, N, stride, chunks)
            candidates = np.unique(tk.doc_of(pos[_lookup(index, hashes)]))
            if not len(candidates):
                continue
            for local, found in _verify(tk, candidates, index).items():
                c = lo + local
                docs.append([rows[c], ids[c]])
                d = len(docs) - 1
                for h in {h for _, _, _, h in found}:
                    df[h] = df.get(h, 0) + 1
                pairs += [[d, s, q, p, h] for s, q, p, h in found]
    if steps and docs:
        step_of = _step_column(shard)
        docs = [[row, ident, int(step_of[row])] for row, ident in docs]
    heavy = {h for h, count in df.items() if count > df_cap}
    pairs = [p for p in pairs if p[4] not in heavy]
    out = {"shard": shard.uri, "name": shard.name, "docs": docs, "pairs": [p[:4] for p in pairs],
           "df": {str(h): c for h, c in df.items()}, "n_docs": n_docs, "n_bytes": n_bytes,
           "n_tokens": n_tokens, "seconds": time.perf_counter() - started,
           "cpu_seconds": time.process_time() - cpu}
    write_atomic(path, out)
    out["cached"] = False
    return out


def _step_column(shard):
    """The ``step`` column of a stream block (one Parquet file we wrote)."""
    import pyarrow.parquet as pq

    from inspectors.core.storage import open_binary

    with open_binary(shard.uri) as handle:
        return pq.ParquetFile(handle).read(columns=["step"]).column("step").to_numpy()


def _chunks(texts: list[str], budget: int = CHUNK_CHARS):
    """``(lo, hi)`` runs of ``texts`` of about ``budget`` characters (numpy arrays that stay in cache)."""
    lo, size = 0, 0
    for i, t in enumerate(texts):
        size += len(t)
        if size >= budget:
            yield lo, i + 1
            lo, size = i + 1, 0
    if lo < len(texts):
        yield lo, len(texts)


def _blocks(texts: list[str], per_block: int = BLOCK_CHUNKS):
    """``(lo, hi, chunks)``: runs of ``per_block`` chunks (``_chunks``), each chunk's first text counted from ``lo``."""
    bounds = list(_chunks(texts))
    for b in range(0, len(bounds), per_block):
        group = bounds[b:b + per_block]
        lo = group[0][0]
        yield lo, group[-1][1], np.array([c[0] - lo for c in group], np.int64)


PREFILTER_BITS = 22  # a 4 MiB table: a few per cent of it set even for 100,000 benchmark n-grams


def _lookup(index: BenchIndex, hashes: np.ndarray) -> np.ndarray:
    """Mask of ``hashes`` present in the index's sorted table.

    A per-process table indexed by the hashes' top bits rules out nearly every corpus n-gram with one
    read; only the few that pass it are searched in the sorted table.
    """
    table = index.table_hash
    if not len(table) or not len(hashes):
        return np.zeros(len(hashes), bool)
    shift = np.uint64(64 - PREFILTER_BITS)
    if index._prefilter is None:
        index._prefilter = np.zeros(1 << PREFILTER_BITS, bool)
        index._prefilter[table >> shift] = True
    maybe = np.flatnonzero(index._prefilter[hashes >> shift])
    idx = np.searchsorted(table, hashes[maybe])
    idx[idx == len(table)] = 0
    out = np.zeros(len(hashes), bool)
    out[maybe] = table[idx] == hashes[maybe]
    return out


def _verify(tk: Tokens, candidates: np.ndarray, index: BenchIndex) -> dict[int, list[tuple[int, int, int, int]]]:
    """Exact matches in the ``candidates`` texts of ``tk``: per text ``(side, item pos, doc pos, hash)``.

    A hash hit counts only if its n tokens equal the item's tokens code point for code point (same
    token lengths, same code points), so a hash collision never makes a match.
    """
    first = np.searchsorted(tk.doc, candidates, "left")
    count = np.searchsorted(tk.doc, candidates, "right") - first - N + 1
    keep = count > 0
    first, count = first[keep], count[keep]
    pos = index_ranges(first, count)  # every n-gram start inside a candidate text
    hashes = ngram_hashes_at(tk, N, pos)
    hit = _lookup(index, hashes)
    pos, hashes = pos[hit], hashes[hit]
    lo = np.searchsorted(index.table_hash, hashes, "left")
    width = np.searchsorted(index.table_hash, hashes, "right") - lo
    which = np.repeat(np.arange(len(pos)), width)  # one row per (doc n-gram, table entry with its hash)
    entry = index_ranges(lo, width)
    pos, hashes = pos[which], hashes[which]
    side, q = index.table_side[entry].astype(np.int64), index.table_pos[entry].astype(np.int64)
    item = index.side_first[side] + q  # the item n-gram's first token
    # token k of each pair: doc token pos + k against item token item + k
    doc_tok = (pos[:, None] + np.arange(N)).ravel()
    item_tok = (item[:, None] + np.arange(N)).ravel()
    doc_len = tk.ends[doc_tok] - tk.starts[doc_tok]
    same = (doc_len == index.item_ends[item_tok] - index.item_starts[item_tok]).reshape(-1, N).all(1)
    doc_tok, item_tok = doc_tok.reshape(-1, N)[same].ravel(), item_tok.reshape(-1, N)[same].ravel()
    lengths = tk.ends[doc_tok] - tk.starts[doc_tok]
    differ = tk.cp[index_ranges(tk.starts[doc_tok], lengths)] != index.item_cp[index_ranges(index.item_starts[item_tok], lengths)]
    pair_chars = lengths.reshape(-1, N).sum(1)
    bad = np.add.reduceat(differ, np.cumsum(pair_chars) - pair_chars) if len(differ) else np.zeros(0, np.int64)
    ok = np.flatnonzero(same)[bad == 0]
    doc = tk.doc[pos[ok]]
    out: dict[int, list] = {}
    for d, s, qq, p, h in zip(doc.tolist(), side[ok].tolist(), q[ok].tolist(),
                              (pos[ok] - np.searchsorted(tk.doc, doc, "left")).tolist(), hashes[ok].tolist()):
        out.setdefault(d, []).append((s, qq, p, h))
    return out


def _runs(doc: np.ndarray, q: np.ndarray, p: np.ndarray) -> list[tuple[int, int, int]]:
    """Maximal runs of n-grams consecutive in both the item and one document: (doc, q_start, q_end)."""
    order = np.lexsort((q, p - q, doc))
    doc, q, diag = doc[order], q[order], (p - q)[order]
    if not len(q):
        return []
    brk = np.flatnonzero((np.diff(doc) != 0) | (np.diff(diag) != 0) | (np.diff(q) != 1)) + 1
    starts = np.concatenate(([0], brk))
    ends = np.concatenate((brk, [len(q)])) - 1
    return list(zip(doc[starts].tolist(), q[starts].tolist(), q[ends].tolist()))


def _llama_share(covered: np.ndarray) -> float:
    """Share of tokens in matched segments longer than 10 tokens, gaps of <= SKIP_BUDGET bridged."""
    if not len(covered) or not covered.any():
        return 0.0
    idx = np.flatnonzero(covered)
    brk = np.flatnonzero(np.diff(idx) > SKIP_BUDGET + 1) + 1
    total = 0
    for seg in np.split(idx, brk):
        if seg[-1] - seg[0] + 1 >= LLAMA_MIN:
            total += len(seg)
    return total / len(covered)


def side_stats(s: int, index: BenchIndex, doc: np.ndarray, q: np.ndarray, p: np.ndarray, doc_keys: list,
               boiler: np.ndarray, max_docs: int = 10, steps: bool = False) -> dict:
    """Statistics and verdicts of side ``s`` from its verified pairs (boilerplate already removed)."""
    n_tokens = len(index.side_tokens[s])
    n_ngrams = max(0, n_tokens - N + 1)
    matched = np.unique(q)
    covered = np.zeros(n_tokens, bool)
    for start in matched.tolist():
        covered[start:start + N] = True
    runs = _runs(doc, q, p)
    best = max(runs, key=lambda r: r[2] - r[1], default=None)
    longest_tokens = (best[2] - best[1] + N) if best else 0
    starts, ends = index.side_chars[s]
    longest_chars = int(ends[best[2] + N - 1] - starts[best[1]]) if best else 0
    charwise = bool(index.side_charwise) and index.side_charwise[s]
    if charwise:  # tokens are characters: runs are judged by their length in characters
        longest_chars = max((int(ends[b + N - 1] - starts[a]) for _, a, b in runs), default=0)
        gpt3_short, gpt3_dirty = (not n_tokens or int(ends[-1] - starts[0]) < GPT3_CHARS), longest_chars >= GPT3_CHARS
    else:
        gpt3_short, gpt3_dirty = n_tokens < GPT3_N, longest_tokens >= GPT3_N
    per_doc: dict[int, list] = {}
    for d, a, b in runs:
        entry = per_doc.setdefault(d, [0, 0])
        entry[1] = max(entry[1], b - a + N)
    for d, count in zip(*np.unique(doc, return_counts=True)) if len(doc) else []:
        per_doc[int(d)][0] = int(count)
    top = sorted(per_doc.items(), key=lambda kv: (-kv[1][1], -kv[1][0]))[:max_docs]
    documents = [dict(doc_keys[d], n_matched=c, longest_match_tokens=lt) for d, (c, lt) in top]
    frac = len(matched) / n_ngrams if n_ngrams else 0.0
    llama = _llama_share(covered)
    verdicts = {
        "gpt3": "too short" if gpt3_short else ("dirty" if gpt3_dirty else "not found"),
        "palm": "too short" if n_ngrams == 0 else ("dirty" if frac >= PALM_CUT else "not found"),
        "llama2": "too short" if n_tokens < LLAMA_MIN else ("dirty" if llama >= LLAMA_CUT else "not found"),
    }
    long_run = ((lambda a, b: ends[b + N - 1] - starts[a] >= GPT3_CHARS) if charwise
                else (lambda a, b: b - a + N >= GPT3_N))
    first = _first_steps(n_tokens, n_ngrams, doc, q, runs, doc_keys, verdicts, long_run) if steps else {}
    return {
        "n_tokens": n_tokens, "n_ngrams": n_ngrams, "n_matched": int(len(matched)),
        "n_boilerplate": int(boiler.sum()) if len(boiler) else 0, "frac_matched": frac,
        "longest_match": {"tokens": int(longest_tokens), "chars": longest_chars},
        "llama2_share": llama, "n_documents": len(per_doc), "documents": documents, "verdicts": verdicts,
        **first,
    }


def _first_steps(n_tokens: int, n_ngrams: int, doc: np.ndarray, q: np.ndarray, runs: list, doc_keys: list,
                 verdicts: dict, long_run) -> dict:
    """On a training stream: the first step with a verified match (``first_seen_step``) and, per method,
    the first step by which the side was dirty (``first_dirty_step``; ``None`` when it never was)."""
    if not len(doc):
        return {"first_seen_step": None, "first_dirty_step": {m: None for m in verdicts}}
    step = np.array([doc_keys[d]["step"] for d in doc.tolist()], dtype=np.int64)
    long_runs = [doc_keys[d]["step"] for d, a, b in runs if long_run(a, b)]
    out = {"gpt3": min(long_runs) if long_runs else None, "palm": None, "llama2": None}
    pending = {m for m in ("palm", "llama2") if verdicts[m] == "dirty"}
    for t in np.unique(step).tolist():  # the corpus as the model had seen it by step t
        if not pending:
            break
        seen = np.unique(q[step <= t])
        if "palm" in pending and len(seen) / n_ngrams >= PALM_CUT:
            out["palm"] = t
            pending.discard("palm")
        if "llama2" in pending:
            covered = np.zeros(n_tokens, bool)
            for start in seen.tolist():
                covered[start:start + N] = True
            if _llama_share(covered) >= LLAMA_CUT:
                out["llama2"] = t
                pending.discard("llama2")
    return {"first_seen_step": int(step.min()), "first_dirty_step": out}


METHODS = {
    "gpt3": (f"dirty if the side shares any {GPT3_N}-token run with one document (GPT-3); in text tokenised by "
             f"character (CJK, Thai, Lao, Khmer, Myanmar) any {GPT3_CHARS}-character run"),
    "palm": f"dirty if at least {PALM_CUT:.0%} of the side's {N}-grams occur in the corpus (PaLM)",
    "llama2": (f"dirty if at least {LLAMA_CUT:.0%} of the side's tokens lie in matches of more than 10 tokens, "
               f"gaps of up to {SKIP_BUDGET} tokens bridged (Llama 2)"),
}


def aggregate(bench: Bench, index: BenchIndex, results: list[dict], boilerplate_df: int, steps: bool = False) -> dict:
    """Per-item records from the per-shard results (``steps``: with first steps, on a training stream)."""
    df: dict[int, int] = {}
    for r in results:
        for h, c in r["df"].items():
            df[int(h)] = df.get(int(h), 0) + c
    boiler = {h for h, c in df.items() if c > boilerplate_df}
    doc_keys, rows = [], []
    for r in results:
        base = len(doc_keys)
        doc_keys += [{"shard": r["name"], "uri": r["shard"], "row": d[0], "id": d[1],
                      **({"step": d[2]} if len(d) > 2 else {})} for d in r["docs"]]
        rows += [(base + d, s, q, p) for d, s, q, p in r["pairs"]]
    arr = np.array(rows, dtype=np.int64).reshape(-1, 4)
    order = np.argsort(arr[:, 1], kind="stable")
    arr = arr[order]
    n_sides = len(index.side_tokens)
    bounds = np.searchsorted(arr[:, 1], np.arange(n_sides + 1), "left")
    boiler_arr = np.array(sorted(boiler), dtype=np.uint64)
    items, boiler_report = [], []
    dirty_docs: dict[str, set[int]] = {m: set() for m in METHODS}
    for i, item in enumerate(bench.items):
        record = item.to_dict()
        for k, side in enumerate(SIDES):
            s = 2 * i + k
            part = arr[bounds[s]:bounds[s + 1]]
            hashes = index.side_hashes[s]
            is_boiler = np.isin(hashes, boiler_arr) if len(boiler_arr) else np.zeros(len(hashes), bool)
            if is_boiler.any():
                keep = ~is_boiler[part[:, 2]]
                part = part[keep]
                for q in np.flatnonzero(is_boiler).tolist():
                    boiler_report.append((" ".join(index.side_tokens[s][q:q + N]), df[int(hashes[q])]))
            record[side] = dict(text=getattr(item, side)[:200], **side_stats(
                s, index, part[:, 0], part[:, 2], part[:, 3], doc_keys, is_boiler, steps=steps))
            for m, verdict in record[side]["verdicts"].items():
                if verdict == "dirty":
                    dirty_docs[m].update(part[:, 0].tolist())
        record["verdicts"] = {m: _item_verdict(record["question"]["verdicts"][m], record["answer"]["verdicts"][m])
                              for m in METHODS}
        if steps:
            sides = (record["question"], record["answer"])
            record["first_seen_step"] = _earliest(s["first_seen_step"] for s in sides)
            record["first_dirty_step"] = {m: _earliest(s["first_dirty_step"][m] for s in sides) for m in METHODS}
        items.append(record)
    seen = {}
    for text, count in boiler_report:
        seen[text] = max(count, seen.get(text, 0))
    top = sorted(seen.items(), key=lambda kv: -kv[1])[:50]
    shards = [{"uri": r["shard"], "name": r["name"], "documents": r["n_docs"], "dirty_documents": {}} for r in results]
    at = {r["shard"]: k for k, r in enumerate(results)}
    for m, docs in dirty_docs.items():
        for shard in shards:
            shard["dirty_documents"][m] = 0
        for d in docs:
            shards[at[doc_keys[d]["uri"]]]["dirty_documents"][m] += 1
    return {"items": items, "shards": shards,
            "boilerplate": {"df_cut": boilerplate_df, "n_ngrams": len(seen),
                            "top": [{"ngram": t, "documents": c} for t, c in top]}}


def _earliest(steps) -> int | None:
    known = [t for t in steps if t is not None]
    return min(known) if known else None


def _item_verdict(question: str, answer: str) -> str:
    """An item is dirty under a method when either side is."""
    if "dirty" in (question, answer):
        return "dirty"
    if question == answer == "too short":
        return "too short"
    return "not found"


def summary(items: list[dict]) -> dict:
    """Counts of dirty items per method and side."""
    out = {}
    for m in METHODS:
        out[m] = {"dirty_items": sum(r["verdicts"][m] == "dirty" for r in items),
                  "dirty_questions": sum(r["question"]["verdicts"][m] == "dirty" for r in items),
                  "dirty_answers": sum(r["answer"]["verdicts"][m] == "dirty" for r in items),
                  "too_short": sum(r["verdicts"][m] == "too short" for r in items)}
    return out
