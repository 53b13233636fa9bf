"""Does the ``tokenizer.json`` that ``corpuscope exposure tokenizer fetch llama`` builds encode like
``llama-tokenizer-js`` itself, on real text from ../shared/data?

    python benchmarks/check_llama_tokenizer.py --tarball llama-tokenizer-js-1.2.2.tgz [--per-source 40]

Builds the tokenizer from the tarball into a temporary folder, runs the package's own JavaScript
encoder under node on the same texts (BOS and the leading space added, its defaults; the HF side
adds them the same way), and reports exact-id matches per source, plus a decode round trip
(``decode(encode(text)) == text``) on the HF side. Real Amber ids from ../shared/data are decoded
too: every whole document in them must re-encode to its own ids.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA = next(p for p in (REPO.parent / "shared" / "data", REPO.parents[1] / "shared" / "data") if p.exists())
EMOJI = re.compile("[\U0001F300-\U0001FAFF\u2600-\u27BF]")
CHARS = 1500  # the JS encoder is quadratic-ish on long inputs; prefixes keep the run short


def texts(per_source: int, tok) -> dict[str, list[str]]:
    """Real texts per source: Vietnamese (Wikipedia, statutes), 12 XQuAD languages incl. Chinese, the
    long-tail languages of UD/MasakhaNER, English web, code (Amber's starcoderdata ids decoded) and
    every text with an emoji the files hold."""
    out: dict[str, list[str]] = {}
    out["vi_wikipedia"] = pq.read_table(DATA / "vi_wikipedia_dev" / "viwiki_dev_500.parquet",
                                        columns=["text"]).column("text").to_pylist()[:per_source]
    out["vi_legal"] = pq.read_table(DATA / "vi_legal_vlc2021" / "vlc2021_laws.parquet",
                                    columns=["text"]).column("text").to_pylist()[:per_source]
    xquad = pq.read_table(DATA / "langid_xquad_paragraphs" / "xquad_paragraphs.parquet", columns=["lang", "text"])
    for lang, text in zip(xquad.column("lang").to_pylist(), xquad.column("text").to_pylist()):
        bucket = out.setdefault(f"xquad_{lang}", [])
        if len(bucket) < per_source // 4:
            bucket.append(text)
    ud = pq.read_table(DATA / "langid_ud_masakhane" / "documents.parquet", columns=["lang", "text"])
    seen: set[str] = set()
    for lang, text in zip(ud.column("lang").to_pylist(), ud.column("text").to_pylist()):
        if lang not in seen:
            seen.add(lang)
            out.setdefault("ud_long_tail", []).append(text)
    with gzip.open(DATA / "c4_sample_wimbd" / "c4-sample.00000-of-00001.json.gz", "rt", encoding="utf-8") as f:
        c4 = [json.loads(line)["text"] for line in f]
    out["c4_en"] = c4[:per_source]
    dclm = [json.loads(line)["text"] for line in (DATA / "dclm_pool_quality_annotations" / "majority_data.jsonl").open()]
    code = []
    for line in (DATA / "amber_tokenized_samples" / "train_143.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record["source"] == "starcoderdata" and len(code) < per_source:
            code.append(tok.decode(record["prompt"] + record["continuation"]))
    out["code_starcoder"] = code
    out["emoji"] = [t for t in c4 + dclm + ud.column("text").to_pylist() if EMOJI.search(t[:CHARS])][:per_source]
    return {k: [t[:CHARS] for t in v if t.strip()] for k, v in out.items()}


JS = """
import { createInterface } from 'node:readline';
const { default: tok } = await import(process.argv[2]);
const lines = [];
for await (const line of createInterface({ input: process.stdin })) lines.push(line);
for (const line of lines) console.log(JSON.stringify(tok.encode(JSON.parse(line))));
"""


def node_encode(package: Path, batch: list[str]) -> list[list[int]]:
    with tempfile.NamedTemporaryFile("w", suffix=".mjs", delete=False) as f:
        f.write(JS)
    run = subprocess.run(["node", f.name, str(package / "llama-tokenizer.js")], check=True, capture_output=True,
                         text=True, input="\n".join(json.dumps(t) for t in batch) + "\n")
    return [json.loads(line) for line in run.stdout.splitlines() if line.startswith("[")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tarball", required=True)
    parser.add_argument("--per-source", type=int, default=40)
    args = parser.parse_args()

    from tokenizers import Tokenizer

    from inspectors.streams import llama_vocab

    work = Path(tempfile.mkdtemp(prefix="llama-check-"))
    info = llama_vocab.fetch(args.tarball, work / "llama.json")
    tok = Tokenizer.from_file(info["path"])
    with tarfile.open(args.tarball) as tar:
        tar.extractall(work, filter="data")
    by_source = texts(args.per_source, tok)
    total = same = round_trip = 0
    mismatches = []
    for source, batch in by_source.items():
        js = node_encode(work / "package", batch)
        assert len(js) == len(batch), f"node returned {len(js)} encodings for {len(batch)} texts"
        hf = [e.ids for e in tok.encode_batch(batch)]
        ok = sum(a == b for a, b in zip(hf, js))
        trip = sum(tok.decode(ids) == t for ids, t in zip(hf, batch))
        total, same, round_trip = total + len(batch), same + ok, round_trip + trip
        print(f"{source:<16} {len(batch):>4} texts  same ids {ok:>4}  decode round trip {trip:>4}")
        mismatches += [(source, t, a, b) for t, a, b in zip(batch, hf, js) if a != b]
    print(f"total {total} texts: {same} with identical ids, {total - same} mismatches; round trip {round_trip}/{total}")
    for source, text, a, b in mismatches[:5]:
        first = next(i for i, (x, y) in enumerate(zip(a + [-1], b + [-1])) if x != y)
        print(f"  {source}: first difference at token {first}: hf {a[first:first + 5]} js {b[first:first + 5]} "
              f"near {text[max(0, first * 3 - 20):first * 3 + 20]!r}")
    amber = [json.loads(line) for name in ("train_143.jsonl", "train_355.jsonl")
             for line in (DATA / "amber_tokenized_samples" / name).read_text().splitlines()]
    # Real Amber documents: the samples' ids split at </s> (2). A sample's first document may start
    # mid-word and its last may end mid-word (samples are cut from packed lines), so only documents
    # closed by </s> and starting at a word ("▁...") are whole; those must re-encode to their own ids.
    whole = agree = 0
    for record in amber:
        ids = record["prompt"] + record["continuation"]
        cuts = [i for i, t in enumerate(ids) if t == 2]
        for start, end in zip([-1] + cuts, cuts):
            doc = ids[start + 1:end]
            if doc and tok.id_to_token(doc[0]).startswith("\u2581"):
                whole += 1
                agree += tok.encode(tok.decode(doc), add_special_tokens=False).ids == doc
    print(f"real Amber documents (closed by </s>, starting at a word): {agree}/{whole} re-encode to the same ids")

if __name__ == "__main__":
    main()
