"""Stratified targeted scans for rare slices.

Pass 1 (cheap, every document of the scanned shards): the query's ``strata`` SQL expressions over the
raw columns (``text``, ``url``, ``source``) put each document in the first stratum whose expression
holds, else in ``rest`` — no document is dropped. Pass 2 (expensive): a seeded simple random sample of
``per_stratum`` documents inside each stratum is read again and tagged by the query's inspectors, and
the slice SQL decides which sampled documents match. The estimate combines strata with their known
sizes (documents and bytes are counted exactly in pass 1).

Both per-shard passes (``prefilter_shard``, ``tag_shard``) are top-level functions over picklable
arguments, so the same executors that profile shards (local pool or Ray) run them; the run layer
drives them with progress and cancel, and pass 2's output is cached beside the attribute shards.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict

import numpy as np
import pyarrow as pa

from inspectors.core import dolma_attributes, registry, store, views
from inspectors.core.errors import BadInput, CorpuscopeError, RuntimeFailure
from inspectors.core.shards import Shard, detect_columns, nfc, read_batches

REST = "rest"


def strata_sql(strata: tuple[dict, ...]) -> str:
    """The CASE expression assigning a stratum name, from the query header's ``strata`` list."""
    if not strata:
        raise BadInput("this query declares no strata; add 'strata:' to its header or use a full or sample plan")
    cases = []
    for i, stratum in enumerate(strata):
        if not isinstance(stratum, dict) or "name" not in stratum or "when" not in stratum:
            raise BadInput(f"strata[{i}] needs 'name' and 'when' (an SQL condition over text, url, source)")
        check_when(stratum["when"], f"strata[{i}] ({stratum['name']})")
        cases.append(f"WHEN ({stratum['when']}) THEN '{str(stratum['name']).replace(chr(39), '')}'")
    case_sql = f"CASE {' '.join(cases)} ELSE '{REST}' END"
    views.check_select(prefilter_sql(case_sql), "strata")
    return case_sql


def check_when(when, where: str = "strata") -> None:
    """``BadInput`` unless ``when`` is one SQL expression: ``SELECT (<when>)`` must be exactly one SELECT
    (so a ``)`` cannot close the CASE it is pasted into and start another statement)."""
    if not isinstance(when, str) or not when.strip():
        raise BadInput(f"{where}: 'when' must be an SQL condition over text, url, source")
    views.check_select(f"SELECT ({when}) AS stratum", where)


def prefilter_sql(case_sql: str) -> str:
    """Pass 1's statement over one batch of a shard."""
    return f"SELECT row, {case_sql} AS stratum, coalesce(strlen(text), 0) AS text_bytes FROM _batch"


def prefilter_shard(shard: Shard, case_sql: str, params: dict, overrides: dict | None = None) -> dict:
    """Pass 1 over one shard: ``{"shard", "row", "stratum", "text_bytes"}`` columns, or ``{"error"}``."""
    try:
        # DuckDB wants exactly the parameters a statement uses.
        params = {k: v for k, v in params.items() if re.search(rf"\${k}\b", case_sql)}
        mapping = detect_columns(shard, overrides)
        sql = prefilter_sql(case_sql)
        views.check_select(sql, "strata")
        con = views.connect()
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        rows, strata, sizes = [], [], []
        for batch in read_batches(shard, mapping, ("text", "url", "source")):
            con.register("_batch", nfc(batch))
            result = con.execute(sql, params).fetchnumpy()
            rows.append(result["row"])
            strata.append(np.asarray(result["stratum"], dtype=object))
            sizes.append(result["text_bytes"])
            con.unregister("_batch")
        return {"shard": shard.uri, "row": np.concatenate(rows), "stratum": np.concatenate(strata),
                "text_bytes": np.concatenate(sizes).astype(np.int64)}
    except CorpuscopeError as error:
        return {"shard": shard.uri, "error": str(error), "exit_code": error.exit_code}
    except Exception as error:  # e.g. a strata expression DuckDB rejects: name the shard and the cause
        return {"shard": shard.uri, "error": f"shard {shard.uri}: prefilter failed: {error}".splitlines()[0], "exit_code": 2}


def tag_shard(shard: Shard, picked: dict[str, list[int]], inspector_keys: list[str], overrides: dict | None = None,
              root: str | None = None) -> dict:
    """Pass 2 for one shard, cached like a profile: ``{"shard", "path"}`` of the tagged sample, or ``{"error"}``.

    ``picked`` maps shard URIs to their drawn rows (``draw``'s output). The sample file sits beside the
    shard's attribute shard, keyed by the drawn rows; it is reused when the shard's fingerprint and
    every inspector's identity are unchanged.
    """
    rows = picked[shard.uri]
    try:
        classes = registry.resolve(inspector_keys)
        wanted = {cls.name: cls.identity() for cls in classes}
        digest = hashlib.sha1(",".join(map(str, sorted(rows))).encode()).hexdigest()[:16]
        path = store.sample_path(shard, digest, root)
        fingerprint = shard.fingerprint()
        info = store.read_info(path)
        attached = dolma_attributes.attribute_files(shard)
        joined = dolma_attributes.stamp(attached)
        if (info is None or info.fingerprint != fingerprint or info.inspectors != wanted
                or info.overrides != (overrides or {}) or (info.dolma or {}) != joined):
            table = tag_sample(shard, rows, inspector_keys, overrides)
            if attached:
                table = dolma_attributes.join(table, attached)
            store.write(path, table, store.AttributeInfo(fingerprint, {}, table.num_rows, True, wanted, overrides or {},
                                                         dolma=joined or None))
        return {"shard": shard.uri, "path": str(path)}
    except CorpuscopeError as error:
        return {"shard": shard.uri, "error": str(error), "exit_code": error.exit_code}
    except Exception as error:  # an inspector's bug fails its shard, named
        return {"shard": shard.uri, "error": f"shard {shard.uri}: {type(error).__name__}: {error}", "exit_code": 1}


def tag_sample(shard: Shard, rows: list[int], inspector_keys: list[str], overrides: dict | None = None) -> pa.Table:
    """The given rows of one shard with their text and the inspectors' columns."""
    mapping = detect_columns(shard, overrides)
    instances = [cls() for cls in registry.resolve(inspector_keys)]
    wanted = np.array(sorted(rows), dtype=np.int64)
    pieces = []
    for batch in read_batches(shard, mapping, ("id", "text", "url", "source"), int(wanted.max()) + 1):
        row_numbers = batch.column(0).to_numpy()
        mask = np.isin(row_numbers, wanted)
        if mask.any():
            pieces.append(tag_batch(batch.filter(pa.array(mask)), instances, shard.uri))
    return pa.concat_tables(pieces, promote_options="default")


def tag_batch(batch: pa.RecordBatch, instances: list, shard_uri: str) -> pa.Table:
    """A batch of ``row`` and the standard fields, text in NFC, with ``shard`` and the columns of the
    given inspector ``instances``."""
    picked = nfc(batch)
    columns = {"shard": pa.array([shard_uri] * picked.num_rows, pa.string())}
    for name in picked.schema.names:
        columns[name] = picked.column(name)
    for inspector in instances:
        out = inspector.inspect(picked)
        for f in inspector.output_schema:
            columns[f.name] = pa.array(out[f.name]).cast(f.type) if not isinstance(out[f.name], pa.Array) else out[f.name].cast(f.type)
    return pa.table(columns)


def draw(prefiltered: list[dict], per_stratum: int, seed: int,
         totals: dict[str, str] | None = None) -> tuple[dict, dict[str, list[int]]]:
    """Stratum sizes and the seeded sample: ``({stratum: {N, bytes, n, *totals}}, {shard: [rows]})``.

    ``totals`` maps further units to per-row arrays of the passes (amounts known exactly for every
    document, such as a training stream's tokens); their stratum sums join the sizes under the unit.
    """
    stratum = np.concatenate([p["stratum"] for p in prefiltered])
    shard_index = np.concatenate([np.full(len(p["row"]), i) for i, p in enumerate(prefiltered)])
    rows = np.concatenate([p["row"] for p in prefiltered])
    rng = np.random.default_rng(seed)
    picked = defaultdict(list)
    for name in sorted(set(stratum.tolist())):
        members = np.flatnonzero(stratum == name)
        chosen = members if len(members) <= per_stratum else rng.choice(members, per_stratum, replace=False)
        for i in chosen:
            picked[prefiltered[shard_index[i]]["shard"]].append(int(rows[i]))
    return stratum_sizes(prefiltered, picked, totals), dict(picked)


def stratum_sizes(prefiltered: list[dict], picked: dict[str, list[int]], totals: dict[str, str] | None = None,
                  cache: dict | None = None) -> dict:
    """``{stratum: {N, bytes, n, *totals}}`` of the given passes, ``n`` counting their ``picked`` rows.

    Called on a subset of the passes (a domain, e.g. the steps up to a checkpoint), it gives that
    domain's sizes; a stratified sample restricted to a domain is, given its size there, a simple
    random sample of the domain's stratum. ``cache`` (a dict the caller keeps, for one ``picked``)
    holds each pass's own sizes, so many domains over the same passes read each pass once.
    """
    with_bytes = all("text_bytes" in p for p in prefiltered)
    info: dict[str, dict] = {}
    for p in prefiltered:
        own = cache.get(p["shard"]) if cache is not None else None
        if own is None:
            own = _pass_sizes(p, picked.get(p["shard"], []), totals or {})
            if cache is not None:
                cache[p["shard"]] = own
        for name, sizes in own.items():
            into = info.setdefault(name, {})
            for key, value in sizes.items():
                if key != "bytes" or with_bytes:
                    into[key] = into.get(key, 0) + value
    return dict(sorted(info.items()))


def _pass_sizes(p: dict, picked: list[int], totals: dict[str, str]) -> dict:
    """One pass's ``{stratum: {N, n, *totals, bytes}}``."""
    stratum = np.asarray(p["stratum"])
    sampled = np.isin(p["row"], picked)
    amounts = {unit: np.asarray(p[key]) for unit, key in totals.items()}
    if "text_bytes" in p:
        amounts["bytes"] = np.asarray(p["text_bytes"])
    out = {}
    for name in set(stratum.tolist()):
        members = stratum == name
        out[name] = {"N": int(members.sum()), "n": int(sampled[members].sum()),
                     **{key: float(a[members].sum()) if a.dtype.kind == "f" else int(a[members].sum())
                        for key, a in amounts.items()}}
    return out


def collect(results: list, shards: list[Shard]) -> list[dict]:
    """Per-shard pass results in shard order; a failed shard fails the scan with its name."""
    # An engine that gave up on a shard (e.g. Ray lost its worker every time) returns a failed ShardResult.
    results = [r if isinstance(r, dict) else {"shard": r.shard, "error": r.error, "exit_code": r.exit_code}
               for r in results]
    order = {s.uri: i for i, s in enumerate(shards)}
    results = sorted(results, key=lambda r: order[r["shard"]])
    # Engines return in completion order: the error names the first failed shard in shard order, so the
    # same fault gives the same message on every run.
    failed = [r for r in results if "error" in r]
    if failed:
        error = BadInput if failed[0].get("exit_code") == 2 else RuntimeFailure
        raise error(failed[0]["error"] + (f" (and {len(failed) - 1} more shards)" if len(failed) > 1 else ""))
    return results
