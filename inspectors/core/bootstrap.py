"""Shard-bootstrap intervals for a report: aggregate once per shard, resample the totals in numpy.

A report run on a shard sample gets ``<col>_ci_low``/``<col>_ci_high`` for every float ``*_share``
column: a percentile bootstrap whose units are the read shards. Each replicate redraws the shards with
replacement (a shard drawn twice counts twice); the 2.5th and 97.5th percentiles of a row's share over
the replicates are its interval (Davison & Hinkley 1997, §3.8). A row missing from a replicate, for
instance one that its HAVING or LIMIT drops there, counts as share 0.

Two implementations give the same numbers for the same seed:

``replicate_bootstrap``
    The plain method and the reference: re-run the report SQL on each replicate's documents, so
    ``replicates`` SQL runs over the documents.

``per_shard_bootstrap``
    One aggregation per shard. DuckDB's own parser (``json_serialize_sql``) splits the report into
    what it computes per document (WHERE, the group expressions, the aggregates) and what it computes
    on the grouped rows (the select list, window shares such as
    ``count(*) / sum(count(*)) OVER (PARTITION BY language)``, HAVING, QUALIFY, ORDER BY, LIMIT).

    1. One SQL pass groups by shard and by the report's group expressions, keeping each aggregate and
       one document of the group for the columns the grouped part reads (``coalesce(topic, …)``).
    2. A replicate's aggregates are the per-shard ones weighted by how often it drew each shard:
       ``draw counts @ per-shard totals`` in numpy. That is exact because only additive aggregates are
       accepted (``count(*)``, ``count(x)``, ``sum(x)``, with or without ``FILTER``): integer totals are
       equal, float sums equal to rounding.
    3. One SQL pass (or a few, for very many groups) runs the report's own grouped part over every
       replicate at once: each aggregate becomes its replicate total, every window is also partitioned
       by replicate, HAVING and QUALIFY apply per replicate, and LIMIT/OFFSET become a per-replicate
       ``row_number()`` in the report's ORDER BY.

    It checks itself before returning: the replicate that draws every shard once must give back the
    report's table (all columns), and the first ``verify`` replicates (default 1) must equal what the
    plain method gives for them. What it cannot handle, or a failed check, raises ``Unsupported``.

``shard_bootstrap``
    What callers use: ``per_shard_bootstrap``, or ``replicate_bootstrap`` when that raises (the reason
    is logged). So SQL outside the supported shape costs the old time but never gives other numbers.

Supported: one SELECT over ``documents`` (optionally aliased) with a plain GROUP BY (expressions,
positions, aliases) or GROUP BY ALL; any WHERE without subqueries; additive aggregates only; scalar
functions and operators that are not volatile; window functions over the grouped rows; HAVING,
QUALIFY, ORDER BY; LIMIT/OFFSET given as constants or parameters, with an ORDER BY. Falls back:
subqueries, CTEs, joins or other tables, UNION, DISTINCT, GROUPING SETS/ROLLUP/CUBE, no GROUP BY,
``*``/``COLUMNS(*)``, other aggregates (``avg``, ``min``, ``max``, ``count(DISTINCT …)``, ``median``, …),
macros, volatile functions (``random()``), TABLESAMPLE, ``LIMIT n%``, LIMIT without ORDER BY, ORDER BY
an expression over a select alias (when there is a LIMIT), DECIMAL and other non-integer, non-float
aggregate types, integer totals that could pass 2**62, report tables with two rows of equal key
columns or two columns of one name, and any SQL whose self-checks fail.
"""

from __future__ import annotations

import json
import logging
import math
import uuid
import weakref
from contextlib import contextmanager

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inspectors.core.views import BASE_VIEW

BOOTSTRAP = 200
ADDITIVE = frozenset({"count_star", "count", "sum"})
TOLERANCE = 1e-9  # relative; float sums are added in a different order than the plain method does

log = logging.getLogger(__name__)

_P = "__cs_"  # prefix of the names this module adds to SQL
_CLASSES = frozenset({"BETWEEN", "CASE", "CAST", "COLLATE", "COLUMN_REF", "COMPARISON", "CONJUNCTION",
                      "CONSTANT", "FUNCTION", "LAMBDA", "LAMBDA_REF", "OPERATOR", "PARAMETER", "WINDOW",
                      "TYPE"})
_INTEGERS = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                       "UINTEGER", "UBIGINT", "UHUGEINT"})
_FLOATS = frozenset({"FLOAT", "DOUBLE"})
_ORDER_SQL = {"ORDER_DEFAULT": "", "ASCENDING": " ASC", "DESCENDING": " DESC"}
_NULLS_SQL = {"ORDER_DEFAULT": "", "NULLS FIRST": " NULLS FIRST", "NULLS LAST": " NULLS LAST",
              "NULLS_FIRST": " NULLS FIRST", "NULLS_LAST": " NULLS LAST"}
_INT_LIMIT = 2.0 ** 62  # bound on |replicate total| for int64 arithmetic, with margin
_CHUNK = 1 << 22  # cells per numpy block when weighting per-shard rows one by one
_DENSE_CELLS = 1 << 24  # largest (shards x groups x columns) matrix for the one-product path
_ROWS_PER_PASS = 1_000_000  # (replicate, group) rows per grouped SQL pass


class Unsupported(Exception):
    """The report SQL is outside what ``per_shard_bootstrap`` handles exactly."""


# --------------------------------------------------------------------------------------------------
# Public API


def shard_bootstrap(con: duckdb.DuckDBPyConnection, sql: str, values: dict, table: pa.Table, seed: int,
                    replicates: int = BOOTSTRAP, verify: int = 1) -> pa.Table:
    """``table`` with ``<share>_ci_low``/``_ci_high`` for every float ``*_share`` column (shard bootstrap).

    ``con`` has ``documents`` (over ``_attributes``) holding the read shards; ``sql`` is the report
    and ``values`` its bound parameters; ``table`` is the report's result on ``con``; ``seed`` seeds
    the draws. The per-shard method when the SQL allows it, else the plain one (same numbers).
    """
    try:
        return per_shard_bootstrap(con, sql, values, table, seed, replicates, verify)
    except Unsupported as why:
        log.info("shard bootstrap: re-running the report per replicate (%s)", why)
    except Exception as error:  # noqa: BLE001 - the plain method is always right, so never fail here
        log.warning("shard bootstrap: per-shard method failed (%s: %s); re-running the report per replicate",
                    type(error).__name__, str(error).splitlines()[0] if str(error) else "")
    return replicate_bootstrap(con, sql, values, table, seed, replicates)


def replicate_bootstrap(con: duckdb.DuckDBPyConnection, sql: str, values: dict, table: pa.Table, seed: int,
                        replicates: int = BOOTSTRAP) -> pa.Table:
    """The plain shard bootstrap (the reference): re-run ``sql`` on each replicate's documents.

    Each replicate draws ``n`` of the ``n`` shards (sorted by name) with replacement from
    ``np.random.default_rng(seed)`` and points ``documents`` at those shards' rows, each repeated as
    often as its shard was drawn; ``documents`` is restored afterwards.
    """
    shares, keys = _shares_and_keys(table)
    if not shares or not keys:
        return table
    shards = _shards(con)
    draws = _plain_draws(con, sql, values, table, shards, _draw_counts(seed, len(shards), replicates), shares, keys,
                         _row_index(table, keys))
    return _append_intervals(table, shares, draws)


def per_shard_bootstrap(con: duckdb.DuckDBPyConnection, sql: str, values: dict, table: pa.Table, seed: int,
                        replicates: int = BOOTSTRAP, verify: int = 1) -> pa.Table:
    """Same result as ``replicate_bootstrap`` from one per-shard aggregation; ``Unsupported`` if it cannot.

    ``verify`` replicates (from the first) are also run the plain way and must match, else
    ``Unsupported``; 0 skips that check (the all-shards replicate is always checked against ``table``).
    """
    shares, keys = _shares_and_keys(table)
    if not shares or not keys:
        return table
    if len(set(table.column_names)) != table.num_columns:
        raise Unsupported("the report has two columns of the same name")
    values = dict(values or {})
    index = _row_index(table, keys)
    if len(index) != table.num_rows:
        raise Unsupported("two rows of the report have the same key columns")
    shards = _shards(con)
    if any(s is None for s in shards):
        raise Unsupported("a document has no shard")
    # every replicate's draw counts, then the all-shards-once replicate that must give ``table`` back
    weights = np.vstack([_draw_counts(seed, len(shards), replicates), np.ones((1, len(shards)), np.int64)])
    draws = _Rewrite(con, sql, values, table).run(weights, shards, index, shares)
    checked = weights[:min(verify, replicates)]
    if len(checked):
        plain = _plain_draws(con, sql, values, table, shards, checked, shares, keys, index)
        for name in shares:
            if not np.allclose(draws[name][:len(checked)], plain[name], rtol=TOLERANCE, atol=0.0, equal_nan=True):
                raise Unsupported(f"replicate check failed for {name}")
    return _append_intervals(table, shares, draws)


# --------------------------------------------------------------------------------------------------
# Shared by both methods


def _shares_and_keys(table: pa.Table) -> tuple[list[str], list[str]]:
    """Float ``*_share`` columns, and the key columns (neither integer, float nor decimal)."""
    def numeric(t):
        return pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)

    schema = table.schema
    shares = [n for n in table.column_names if n.endswith("_share") and pa.types.is_floating(schema.field(n).type)]
    keys = [n for n in table.column_names if not numeric(schema.field(n).type)]
    return shares, keys


def _shards(con) -> list:
    return [r[0] for r in con.execute("SELECT DISTINCT shard FROM documents ORDER BY shard").fetchall()]


def _row_index(table: pa.Table, keys: list[str]) -> dict:
    return {tuple(r[k] for k in keys): i for i, r in enumerate(table.select(keys).to_pylist())}


def _draw_counts(seed: int, n: int, replicates: int) -> np.ndarray:
    """(replicates, n): how often each replicate draws each of the ``n`` shards (sorted by name)."""
    rng = np.random.default_rng(seed)
    counts = [np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(replicates)]
    return np.array(counts, dtype=np.int64).reshape(replicates, n)


def _plain_draws(con, sql, values, table, shards, counts, shares, keys, index) -> dict:
    """``draws[share][b, row]`` by re-running ``sql`` on replicate ``b``'s documents (0 where a row is missing)."""
    draws = {name: np.zeros((len(counts), table.num_rows)) for name in shares}
    with _resampled_documents(con, shards) as draw:
        for b, replicate in enumerate(counts):
            draw(replicate)
            result = con.execute(sql, values).fetchall()
            names = [d[0] for d in con.description]
            for row in result:
                record = dict(zip(names, row))
                i = index.get(tuple(record[k] for k in keys))
                if i is not None:
                    for name in shares:
                        draws[name][b, i] = record[name] or 0.0
    return draws


@contextmanager
def _resampled_documents(con, shards):
    """``draw(counts)`` points ``documents`` at ``counts[i]`` copies of shard ``shards[i]``'s rows.

    A temporary view shadows ``documents`` meanwhile; the connection's own view is left untouched
    (and a temporary ``documents`` that was there before is put back), so text added to it stays.
    """
    table = f"{_P}boot_{uuid.uuid4().hex[:8]}"
    shadowed = con.execute("SELECT sql FROM duckdb_views() WHERE temporary AND view_name = 'documents'").fetchall()
    con.execute(f"CREATE TEMP TABLE {table} (shard VARCHAR)")
    con.execute(f"CREATE OR REPLACE TEMP VIEW documents AS SELECT d.* FROM {BASE_VIEW} d JOIN {table} USING (shard)")

    def draw(counts):
        con.execute(f"DELETE FROM {table}")
        con.executemany(f"INSERT INTO {table} VALUES (?)", [(s,) for s, c in zip(shards, counts) for _ in range(c)])

    try:
        yield draw
    finally:
        con.execute("DROP VIEW IF EXISTS temp.documents")
        if shadowed:
            con.execute(shadowed[0][0])
        con.execute(f"DROP TABLE IF EXISTS {table}")


def _append_intervals(table: pa.Table, shares: list[str], draws: dict) -> pa.Table:
    for name in shares:
        low, high = np.percentile(draws[name], [2.5, 97.5], axis=0)
        table = table.append_column(f"{name}_ci_low", pa.array(low))
        table = table.append_column(f"{name}_ci_high", pa.array(high))
    return table


# --------------------------------------------------------------------------------------------------
# The rewrite


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _nodes(obj, prune=None):
    """Every expression node in ``obj`` (a parsed-SQL fragment), depth first; ``prune(node)`` stops descent."""
    if isinstance(obj, dict):
        if "class" in obj:
            yield obj
            if prune is not None and prune(obj):
                return
        for value in obj.values():
            yield from _nodes(value, prune)
    elif isinstance(obj, list):
        for value in obj:
            yield from _nodes(value, prune)


def _rewrite(obj, fn):
    """A copy of ``obj`` with each expression node ``n`` replaced by ``fn(n)`` when that is not None."""
    if isinstance(obj, dict):
        if "class" in obj:
            new = fn(obj)
            if new is not None:
                return new
        return {k: _rewrite(v, fn) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_rewrite(v, fn) for v in obj]
    return obj


_UNCOMPARED = ("alias", "query_location", "query_location_length")


def _canonical(node) -> str:
    """A node's text for telling equal expressions apart (aliases and positions ignored)."""
    def strip(obj):
        if isinstance(obj, dict):
            return {k: strip(v) for k, v in obj.items() if k not in _UNCOMPARED}
        if isinstance(obj, list):
            return [strip(v) for v in obj]
        return obj

    return json.dumps(strip(node), sort_keys=True)


def _serialize(con, sql: str) -> dict:
    doc = json.loads(con.execute("SELECT json_serialize_sql(?)", [sql]).fetchall()[0][0])
    if doc.get("error"):
        raise Unsupported(f"DuckDB's parser cannot serialize it ({doc.get('error_message', doc.get('error_type'))})")
    return doc


def _deserialize(con, node: dict) -> str:
    doc = {"error": False, "statements": [{"node": node, "named_param_map": []}]}
    return con.execute("SELECT json_deserialize_sql(?)", [json.dumps(doc)]).fetchall()[0][0]


def _fetch(con, sql: str, params: dict | None = None) -> pa.Table:
    relation = con.sql(sql, params=params or None)
    return (getattr(relation, "to_arrow_table", None) or relation.arrow)()  # renamed in DuckDB 2.0


def _copy(obj):
    return json.loads(json.dumps(obj))


_PROTOTYPES: dict[str, list[dict]] = {}


def _prototype(con, i: int) -> dict:
    """A fresh copy of a parsed node: 0 a column, 1 ``CAST(sum(x) AS BIGINT)``, 2 ``any_value(struct_pack(x := x))``."""
    if duckdb.__version__ not in _PROTOTYPES:
        sql = 'SELECT "x", CAST(sum("x") AS BIGINT), any_value(struct_pack("x" := "x"))'
        _PROTOTYPES[duckdb.__version__] = _serialize(con, sql)["statements"][0]["node"]["select_list"]
    return _copy(_PROTOTYPES[duckdb.__version__][i])


def _column(con, name: str, alias: str = "") -> dict:
    return {**_prototype(con, 0), "column_names": [name], "alias": alias}


def _total(con, name: str, type_name: str) -> dict:
    """``CAST(sum(name) AS type_name)`` for a plain type name (an integer or float type)."""
    node = _prototype(con, 1)
    node["child"]["arguments"][0]["expression"] = _column(con, name)
    node["type_expr"].update(type_name=type_name, qualified_name={"path": [type_name]})
    return node


def _representative(con, columns: list[str], alias: str) -> dict:
    """``any_value(struct_pack(c := c, ...))``: the columns of one document of the group."""
    node = _prototype(con, 2)
    node["arguments"][0]["expression"]["arguments"] = [{"name": c, "expression": _column(con, c, c)} for c in columns]
    return {**node, "alias": alias}


_CATALOGS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _catalog(con) -> dict[str, tuple[frozenset, bool]]:
    """Function name (lower case) -> (its kinds: scalar, aggregate, macro, ...; whether volatile).

    Read once per connection (``duckdb_functions()`` takes tens of milliseconds).
    """
    try:
        return _CATALOGS[con]
    except (KeyError, TypeError):
        pass
    rows = con.execute("SELECT lower(function_name), list(DISTINCT function_type), bool_or(stability = 'VOLATILE') "
                       "FROM duckdb_functions() GROUP BY 1").fetchall()
    catalog = {name: (frozenset(kinds), bool(volatile)) for name, kinds, volatile in rows}
    try:
        _CATALOGS[con] = catalog
    except TypeError:
        pass
    return catalog


def _parameters(node, values: dict) -> dict:
    names = {n["identifier"] for n in _nodes(node) if n["class"] == "PARAMETER"}
    return {name: values[name] for name in names}


class _Rewrite:
    """A report split into its per-shard SQL and its grouped SQL over replicate totals."""

    def __init__(self, con, sql: str, values: dict, table: pa.Table):
        self.con, self.values, self.table = con, values, table
        doc = _serialize(con, sql)
        if len(doc["statements"]) != 1:
            raise Unsupported("not one statement")
        node = doc["statements"][0]["node"]
        self.node = node
        self._check_shape(node)
        self.columns = {c.lower(): c for c in con.sql("SELECT * FROM documents LIMIT 0").columns}
        if any(c.startswith(_P) for c in self.columns):
            raise Unsupported(f"documents has a column named {_P}…")
        self._check_expressions(node)
        self.post = [node["select_list"], node["having"], node["qualify"],
                     [m for m in node["modifiers"] if m["type"] == "ORDER_MODIFIER"]]
        self.aggregates = self._aggregates()
        self.groups = self._group_expressions()
        self.referenced = self._referenced_columns()
        self.limit, self.offset = self._limit()
        keys = set(_shares_and_keys(table)[1])
        self.key_positions = [i for i, name in enumerate(table.column_names) if name in keys]

    # -- checks ------------------------------------------------------------------------------------

    def _check_shape(self, node) -> None:
        if node.get("type") != "SELECT_NODE":
            raise Unsupported("not a single SELECT (UNION, VALUES, ...)")
        if node.get("cte_map", {}).get("map"):
            raise Unsupported("WITH (CTE)")
        if node.get("sample") is not None:
            raise Unsupported("USING SAMPLE")
        source = node.get("from_table") or {}
        if (source.get("type") != "BASE_TABLE" or source.get("table_name", "").lower() != "documents"
                or source.get("schema_name") or source.get("catalog_name") or source.get("sample") is not None
                or source.get("at_clause") is not None or source.get("column_name_alias")):
            raise Unsupported("FROM is not the documents view alone")
        kinds = [m["type"] for m in node["modifiers"]]
        if any(k not in ("ORDER_MODIFIER", "LIMIT_MODIFIER") for k in kinds) or len(set(kinds)) != len(kinds):
            raise Unsupported("DISTINCT or another modifier")
        if "LIMIT_MODIFIER" in kinds:
            limit = next(m for m in node["modifiers"] if m["type"] == "LIMIT_MODIFIER")
            if limit.get("limit_type") != "ROW_COUNT":
                raise Unsupported("LIMIT n%")
            if kinds != ["ORDER_MODIFIER", "LIMIT_MODIFIER"]:
                raise Unsupported("LIMIT without ORDER BY")

    def _check_expressions(self, node) -> None:
        found = list(_nodes(node))
        for n in found:
            if n["class"] not in _CLASSES:
                raise Unsupported(f"{n['class'].lower()} expression")
            if n["class"] == "PARAMETER" and n.get("identifier") not in self.values:
                raise Unsupported(f"parameter {n.get('identifier')} is not bound by name")
        names = sorted({n["function_name"].lower() for n in found if n["class"] == "FUNCTION"})
        catalog = _catalog(self.con) if names else {}
        self.aggregate_names = set()
        for name in names:
            if name not in catalog:
                raise Unsupported(f"unknown function {name}")
            kinds, volatile = catalog[name]
            if volatile:
                raise Unsupported(f"volatile function {name}")
            if kinds & {"macro", "table_macro"}:
                raise Unsupported(f"macro {name}")
            if "aggregate" in kinds:
                self.aggregate_names.add(name)

    def _is_aggregate(self, n) -> bool:
        return n["class"] == "FUNCTION" and n["function_name"].lower() in self.aggregate_names

    def _has_grouped(self, obj) -> bool:
        return any(self._is_aggregate(n) or n["class"] == "WINDOW" for n in _nodes(obj))

    def _aggregates(self) -> list[dict]:
        if self._has_grouped([self.node["where_clause"], self.node["group_expressions"]]):
            raise Unsupported("aggregate or window in WHERE or GROUP BY")
        found: dict[str, int] = {}
        out = []
        for n in _nodes(self.post, prune=self._is_aggregate):
            if not self._is_aggregate(n):
                continue
            name = n["function_name"].lower()
            arity = {"count_star": (0,), "count": (0, 1), "sum": (1,)}.get(name, ())
            if (name not in ADDITIVE or n.get("distinct") or n.get("order_bys", {}).get("orders")
                    or n.get("export_state") or n.get("schema") or n.get("catalog")
                    or len(n.get("arguments", [])) not in arity or any(a.get("name") for a in n["arguments"])):
                raise Unsupported(f"aggregate {name} is not additive over shards")
            if self._has_grouped([n["arguments"], n.get("filter")]):
                raise Unsupported("nested aggregate or window")
            key = _canonical(n)
            if key not in found:
                found[key] = len(out)
                out.append(n)
        self.aggregate_index = found
        return out

    def _group_expressions(self) -> list[dict]:
        """The report's grouping as expressions over documents (positions and aliases resolved)."""
        node = self.node
        select = node["select_list"]
        if node["aggregate_handling"] == "FORCE_AGGREGATES":  # GROUP BY ALL
            if node["group_expressions"]:
                raise Unsupported("GROUP BY ALL with expressions")
            groups = [item for item in select if not self._has_grouped(item)]
        elif node["aggregate_handling"] == "STANDARD_HANDLING":
            given = node["group_expressions"]
            if not given or node["group_sets"] != [list(range(len(given)))]:
                raise Unsupported("no GROUP BY, or GROUPING SETS/ROLLUP/CUBE")
            groups = [self._resolve(e, select) for e in given]
        else:
            raise Unsupported(f"aggregate handling {node['aggregate_handling']}")
        if not groups or self._has_grouped(groups):
            raise Unsupported("no group expression")
        return [{**_copy(g), "alias": ""} for g in groups]

    def _resolve(self, e, select):
        if e["class"] == "CONSTANT" and e["literal"].get("kind") in _INTEGERS:
            k = int(e["literal"]["text"])
            if not 1 <= k <= len(select):
                raise Unsupported(f"GROUP BY {k}")
            return select[k - 1]
        if e["class"] == "COLUMN_REF" and len(e["column_names"]) == 1:
            name = e["column_names"][0].lower()
            if name not in self.columns:  # DuckDB binds a column before a select alias
                for item in select:
                    if item.get("alias", "").lower() == name:
                        return item
        return e

    def _referenced_columns(self) -> list[str]:
        """documents columns that the grouped part of the report reads outside aggregates."""
        names = []
        for n in _nodes([self.post, self.node["group_expressions"], self.groups], prune=self._is_aggregate):
            if n["class"] == "COLUMN_REF" and not self._is_aggregate(n):
                for part in n["column_names"]:
                    column = self.columns.get(part.lower())
                    if column is not None and column not in names:
                        names.append(column)
        return names

    def _limit(self) -> tuple[int | None, int]:
        modifier = next((m for m in self.node["modifiers"] if m["type"] == "LIMIT_MODIFIER"), None)
        if modifier is None:
            return None, 0
        limit = self._evaluate(modifier.get("limit"))
        offset = self._evaluate(modifier.get("offset")) or 0
        for value in (limit, offset):
            if value is not None and (not isinstance(value, int) or value < 0):
                raise Unsupported("LIMIT or OFFSET is not a count")
        return limit, offset

    def _evaluate(self, expression):
        if expression is None:
            return None
        if expression["class"] == "PARAMETER":
            return self.values[expression["identifier"]]
        if expression["class"] == "CONSTANT" and expression["literal"].get("kind") in _INTEGERS:
            return int(expression["literal"]["text"])
        if self._has_grouped(expression) or any(n["class"] == "COLUMN_REF" for n in _nodes(expression)):
            raise Unsupported("LIMIT reads columns")
        node = _serialize(self.con, "SELECT 1")["statements"][0]["node"]
        node["select_list"] = [expression]
        return self.con.execute(_deserialize(self.con, node), _parameters(expression, self.values)).fetchall()[0][0]

    # -- running -----------------------------------------------------------------------------------

    def run(self, weights: np.ndarray, shards: list, index: dict, shares: list[str]) -> dict:
        """``draws[share]`` of shape (replicates, rows); ``weights`` has the all-ones replicate last."""
        con, token = self.con, uuid.uuid4().hex[:8]
        names = {k: f"{_P}{k}_{token}" for k in ("partials", "groups", "boot", "view")}
        registered = False
        try:
            types = self._per_shard(names)
            totals = self._fetch_partials(names, types, shards)
            registered = True
            self._create_view(names, types)
            outer_sql, outer_params = self._outer_sql(names, types)
            replicates = weights.shape[0] - 1
            draws = {name: np.zeros((replicates, self.table.num_rows)) for name in shares}
            identity = []
            step = max(1, _ROWS_PER_PASS // max(1, totals.groups))
            for lo in range(0, weights.shape[0], step):
                boot = self._boot_table(totals, weights[lo:lo + step], lo)
                con.register(names["boot"], boot)
                registered = True
                self._collect(_fetch(con, outer_sql, outer_params), index, shares, draws, replicates, identity)
            self._check_identity(identity, index)
            return draws
        finally:
            for statement in (f"DROP VIEW IF EXISTS {names['view']}", f"DROP TABLE IF EXISTS {names['groups']}",
                              f"DROP TABLE IF EXISTS {names['partials']}"):
                try:
                    con.execute(statement)
                except duckdb.Error:
                    pass
            if registered:
                try:
                    con.unregister(names["boot"])
                except duckdb.Error:
                    pass

    def _per_shard(self, names) -> list[str]:
        """Create the per-(shard, group) table; returns the aggregates' DuckDB types."""
        node = _copy(self.node)
        node["select_list"] = ([{**g, "alias": f"{_P}g{i}"} for i, g in enumerate(self.groups)]
                               + [_column(self.con, "shard", f"{_P}shard")]
                               + [{**_copy(a), "alias": f"{_P}a{j}"} for j, a in enumerate(self.aggregates)]
                               + ([_representative(self.con, self.referenced, f"{_P}row")] if self.referenced else []))
        node.update(group_expressions=[], group_sets=[], aggregate_handling="FORCE_AGGREGATES", having=None,
                    qualify=None, modifiers=[])
        keys = ", ".join(f"{_P}g{i}" for i in range(len(self.groups)))
        sql = (f"CREATE TEMP TABLE {names['partials']} AS SELECT *, dense_rank() OVER (ORDER BY {keys}) - 1 AS {_P}gid "
               f"FROM ({_deserialize(self.con, node)}) AS {_P}q")
        self.con.execute(sql, _parameters(node, self.values) or None)
        described = {r[0]: r[1] for r in self.con.execute(f"DESCRIBE {names['partials']}").fetchall()}
        types = [described[f"{_P}a{j}"] for j in range(len(self.aggregates))]
        for t in types:
            if t not in _INTEGERS and t not in _FLOATS:
                raise Unsupported(f"aggregate of type {t}")
        if self.referenced:
            self.con.execute(f"CREATE TEMP TABLE {names['groups']} AS SELECT {_P}gid, any_value({_P}row) AS {_P}row "
                             f"FROM {names['partials']} GROUP BY {_P}gid")
        return types

    def _fetch_partials(self, names, types, shards):
        items = [f"{_P}shard", f"{_P}gid"] + [f"CAST({_P}a{j} AS {'BIGINT' if t in _INTEGERS else 'DOUBLE'})"
                                              for j, t in enumerate(types)]
        try:
            result = _fetch(self.con, f"SELECT {', '.join(items)} FROM {names['partials']} ORDER BY {_P}gid, {_P}shard")
        except duckdb.ConversionException as error:
            raise Unsupported(f"a per-shard total does not fit 64 bits ({str(error).splitlines()[0]})") from None
        position = pc.index_in(result.column(0), value_set=pa.array(shards, result.schema.field(0).type))
        if position.null_count:
            raise Unsupported("a per-shard row names a shard that documents does not list")
        shard = position.to_numpy(zero_copy_only=False).astype(np.int64)
        gid = result.column(1).to_numpy().astype(np.int64)
        columns = [np.ones(len(shard), np.int64)]  # presence: the group has documents in the shard
        for j, t in enumerate(types):
            column = result.column(2 + j)
            filled = pc.fill_null(column, 0).to_numpy(zero_copy_only=False)
            columns.append(filled.astype(np.int64 if t in _INTEGERS else np.float64))
            columns.append(column.is_valid().to_numpy(zero_copy_only=False).astype(np.int64))
        return _Totals(shard, gid, columns, len(shards))

    def _create_view(self, names, types) -> None:
        items = [f"b.{_P}rep"]
        items += [f"struct_extract(g.{_P}row, {_literal(c)}) AS {_ident(c)}" for c in self.referenced]
        items += [f"b.{_P}a{j}" for j in range(len(types))]
        source = f"{names['boot']} b"
        if self.referenced:
            source += f" JOIN {names['groups']} g USING ({_P}gid)"
        # the boot table is registered per pass; register an empty one so the view binds
        empty = pa.table({f"{_P}rep": pa.array([], pa.int64()), f"{_P}gid": pa.array([], pa.int64()),
                          **{f"{_P}a{j}": pa.array([], pa.int64() if t in _INTEGERS else pa.float64())
                             for j, t in enumerate(types)}})
        self.con.register(names["boot"], empty)
        self.con.execute(f"CREATE TEMP VIEW {names['view']} AS SELECT {', '.join(items)} FROM {source}")

    def _outer_sql(self, names, types) -> tuple[str, dict]:
        totals = [_total(self.con, f"{_P}a{j}", t) for j, t in enumerate(types)]
        rep = _column(self.con, f"{_P}rep")

        def replace(n):
            if self._is_aggregate(n):
                return {**_copy(totals[self.aggregate_index[_canonical(n)]]), "alias": n.get("alias", "")}
            if n["class"] == "WINDOW":
                window = {k: _rewrite(v, replace) for k, v in n.items()}
                window["partitions"] = list(window.get("partitions") or []) + [_copy(rep)]
                return window
            return None

        node = _copy(self.node)
        source = node["from_table"]
        node["from_table"] = {**source, "table_name": names["view"], "qualified_name": {"path": [names["view"]]},
                              "alias": source.get("alias") or "documents"}
        node["where_clause"] = None
        node["select_list"] = _rewrite(node["select_list"], replace) + [{**_copy(rep), "alias": f"{_P}rep"}]
        node["having"] = _rewrite(node["having"], replace)
        node["qualify"] = _rewrite(node["qualify"], replace)
        if node["aggregate_handling"] == "FORCE_AGGREGATES":
            # GROUP BY ALL would not group by a column read only in a window's PARTITION BY
            node["group_expressions"] = _copy(self.groups)
            node["aggregate_handling"] = "STANDARD_HANDLING"
        node["group_expressions"] = node["group_expressions"] + [_copy(rep)]
        node["group_sets"] = [list(range(len(node["group_expressions"])))]
        node["modifiers"] = []
        if self.limit is None and not self.offset:
            return _deserialize(self.con, node), _parameters(node, self.values)
        # LIMIT/OFFSET per replicate: number each replicate's rows in the report's order, keep the window
        order = next(m for m in self.node["modifiers"] if m["type"] == "ORDER_MODIFIER")
        terms = []
        for term in order["orders"]:
            column = self._output_column(term["expression"])
            if column is None:
                column = f"{_P}o{len(node['select_list']) - len(self.table.column_names) - 1}"
                node["select_list"].append({**_rewrite(_copy(term["expression"]), replace), "alias": column})
            if term["type"] not in _ORDER_SQL or term["null_order"] not in _NULLS_SQL:
                raise Unsupported(f"ORDER BY {term['type']} {term['null_order']}")
            terms.append(_ident(column) + _ORDER_SQL[term["type"]] + _NULLS_SQL[term["null_order"]])
        keep = [f"row_number() OVER (PARTITION BY {_P}rep ORDER BY {', '.join(terms)}) > {int(self.offset)}"]
        if self.limit is not None:
            keep.append(f"row_number() OVER (PARTITION BY {_P}rep ORDER BY {', '.join(terms)}) "
                        f"<= {int(self.offset) + int(self.limit)}")
        sql = f"SELECT * FROM ({_deserialize(self.con, node)}) AS {_P}o QUALIFY {' AND '.join(keep)}"
        return sql, _parameters(node, self.values)

    def _output_column(self, e) -> str | None:
        """The report column an ORDER BY term names (by position or alias), else None."""
        names, select = self.table.column_names, self.node["select_list"]
        if e["class"] == "CONSTANT" and e["literal"].get("kind") in _INTEGERS:
            k = int(e["literal"]["text"])
            if not 1 <= k <= len(names):
                raise Unsupported(f"ORDER BY {k}")
            return names[k - 1]
        aliases = {item.get("alias", "").lower(): i for i, item in enumerate(select) if item.get("alias")}
        if e["class"] == "COLUMN_REF" and len(e["column_names"]) == 1:
            name = e["column_names"][0].lower()
            if name in aliases:
                return names[aliases[name]]
            for i, item in enumerate(select):
                if not item.get("alias") and item["class"] == "COLUMN_REF" and item["column_names"][-1].lower() == name:
                    return names[i]
        # an expression: computed as an extra column, where a select alias inside it would bind otherwise
        if any(n["class"] == "COLUMN_REF" and n["column_names"][-1].lower() in aliases for n in _nodes(e)):
            raise Unsupported("ORDER BY an expression over a select alias")
        return None

    def _boot_table(self, totals: "_Totals", weights, first) -> pa.Table:
        """Rows (replicate, group) present in the replicates ``first + i`` and their aggregate totals."""
        present, *sums = totals.weighted(weights)
        rep, where = np.nonzero(present > 0)
        columns = {f"{_P}rep": pa.array(rep + first, pa.int64()), f"{_P}gid": pa.array(where, pa.int64())}
        for j in range(len(self.aggregates)):
            total, nonnull = sums[2 * j][rep, where], sums[2 * j + 1][rep, where] > 0
            columns[f"{_P}a{j}"] = pa.array(total, mask=~nonnull)
        return pa.table(columns)

    def _collect(self, result: pa.Table, index, shares, draws, replicates, identity) -> None:
        width = self.table.num_columns
        if result.num_columns < width + 1 or result.column_names[width] != f"{_P}rep":
            raise Unsupported("the rewritten report has other columns")
        rep = result.column(width).to_numpy(zero_copy_only=False).astype(np.int64)
        result = result.select(list(range(width)))
        tuples = zip(*(result.column(i).to_pylist() for i in self.key_positions))
        rows = np.fromiter((index.get(t, -1) for t in tuples), dtype=np.int64, count=result.num_rows)
        last = rep == replicates
        if last.any():
            identity.append((result.filter(pa.array(last)), rows[last]))
        use = (rows >= 0) & ~last
        pairs = rep[use] * max(1, self.table.num_rows) + rows[use]
        if len(np.unique(pairs)) != len(pairs):
            raise Unsupported("a replicate has two rows with the same key")
        for name in shares:
            column = result.column(self.table.column_names.index(name))
            value = pc.fill_null(column, 0.0).to_numpy(zero_copy_only=False).astype(np.float64)
            draws[name][rep[use], rows[use]] = value[use]

    def _check_identity(self, identity, index) -> None:
        """The replicate that draws every shard once must be the report itself."""
        if not identity:
            got, rows = self.table.slice(0, 0), np.zeros(0, np.int64)
        else:
            got = pa.concat_tables([t for t, _ in identity])
            rows = np.concatenate([r for _, r in identity])
        if got.num_rows != self.table.num_rows or sorted(rows.tolist()) != list(range(self.table.num_rows)):
            raise Unsupported("the all-shards replicate does not give the report's rows")
        got = got.take(pa.array(np.argsort(rows)))
        for i, field in enumerate(self.table.schema):
            # compared as values: a caller may have cast DuckDB's HUGEINT sums to int64 (or float64)
            if not all(map(_same, self.table.column(i).to_pylist(), got.column(i).to_pylist())):
                raise Unsupported(f"the all-shards replicate differs from the report in {field.name}")


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        try:
            a, b = float(a), float(b)
        except (TypeError, ValueError):
            return False
        return a == b or math.isclose(a, b, rel_tol=TOLERANCE) or (math.isnan(a) and math.isnan(b))
    return a == b


class _Totals:
    """Per-(shard, group) columns, and their replicate totals: ``sum over shards of draws x value``.

    Rows come sorted by group (``gid`` 0, 1, ...). Where every integer total stays below 2**53 and the
    (shards x groups) matrix is small, one float64 matrix product gives all of them (exact for
    integers below 2**53); otherwise blocks of whole groups are weighted row by row in int64.
    """

    def __init__(self, shard: np.ndarray, gid: np.ndarray, columns: list[np.ndarray], shards: int):
        self.shard, self.gid, self.columns, self.shards = shard, gid, columns, shards
        self.groups = int(gid[-1]) + 1 if len(gid) else 0
        self.starts = np.flatnonzero(np.r_[True, gid[1:] != gid[:-1]]) if len(gid) else np.zeros(0, np.int64)
        if len(self.starts) != self.groups:
            raise Unsupported("group numbers are not dense")
        exact = True
        for column in columns:
            if column.dtype == np.int64 and len(column):
                bound = shards * float(np.add.reduceat(np.abs(column.astype(np.float64)), self.starts).max())
                if bound >= _INT_LIMIT:
                    raise Unsupported("integer totals may not fit 64 bits")
                exact &= bound < 2.0 ** 52
        self.dense = None
        if exact and shards * self.groups * len(columns) <= _DENSE_CELLS:
            width = len(columns) * self.groups
            cells = np.concatenate([shard * width + c * self.groups + gid for c in range(len(columns))])
            values = np.concatenate([column.astype(np.float64) for column in columns])
            self.dense = np.bincount(cells, weights=values, minlength=shards * width).reshape(shards, width)

    def weighted(self, weights: np.ndarray) -> list[np.ndarray]:
        """For each column, the (replicates, groups) totals under ``weights`` (replicates, shards)."""
        if self.dense is not None:
            product = (weights.astype(np.float64) @ self.dense).reshape(len(weights), len(self.columns), self.groups)
            return [np.rint(product[:, c]).astype(np.int64) if column.dtype == np.int64 else product[:, c]
                    for c, column in enumerate(self.columns)]
        return [_weighted_sums(weights, self.shard, self.starts, column) for column in self.columns]


def _weighted_sums(weights: np.ndarray, shard: np.ndarray, starts: np.ndarray, value: np.ndarray) -> np.ndarray:
    """``out[b, k] = sum of weights[b, shard[r]] * value[r]`` over the rows ``r`` of group ``k``.

    Rows are sorted by group and ``starts`` holds each group's first row; blocks of whole groups keep
    the (replicates x rows) products small.
    """
    replicates, groups = weights.shape[0], len(starts)
    out = np.zeros((replicates, groups), dtype=np.result_type(weights.dtype, value.dtype))
    bounds = np.r_[starts, len(shard)]
    step = max(1, _CHUNK // max(1, replicates))
    k = 0
    while k < groups:
        end = min(groups, max(k + 1, int(np.searchsorted(bounds, bounds[k] + step, side="right")) - 1))
        lo, hi = bounds[k], bounds[end]
        block = weights[:, shard[lo:hi]] * value[lo:hi]
        out[:, k:end] = np.add.reduceat(block, starts[k:end] - lo, axis=1)
        k = end
    return out
