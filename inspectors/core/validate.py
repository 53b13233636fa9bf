"""Checking a saved query without data: parameters, inspectors, and the SQL prepared on the schema."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from inspectors.core import evidence, registry, views
from inspectors.core.errors import BadInput
from inspectors.core.queries import Query


def documents_schema() -> pa.Schema:
    """The ``documents`` view's columns when every registered inspector has run."""
    fields = [
        pa.field("shard", pa.string()),
        pa.field("row", pa.int64()),
        pa.field("id", pa.string()),
        pa.field("url", pa.string()),
        pa.field("source", pa.string()),
        pa.field("text", pa.string()),
    ]
    seen = {f.name for f in fields}
    for cls in registry.registered().values():
        for f in cls.output_schema:
            if f.name not in seen:
                fields.append(f)
                seen.add(f.name)
    return pa.schema(fields)


def example_values(query: Query) -> dict:
    """Each parameter's default, or a value of its type: enough for DuckDB to bind the SQL."""
    return {p.name: p.convert(p.default, query.name) if p.default is not None else _example(p.type)
            for p in query.params}


def text_needed(query: Query) -> bool:
    """Whether a run of ``query`` reads ``text``, as DuckDB's binder sees it (no data read)."""
    views.check_select(query.sql, str(query.path))
    schema = documents_schema()
    con = views.open_table(schema.remove(schema.get_field_index("text")).empty_table())
    try:
        return views.needs_text(con, query.sql, example_values(query), star_reads_text=query.kind != "slice")
    finally:
        con.close()


def check_runnable(query: Query) -> None:
    """``BadInput`` naming the file unless every inspector ``query`` requires is registered and its SQL is
    exactly one SELECT (checked before any run, so nothing is profiled for a query that cannot run)."""
    known = set(registry.latest())
    missing = [name for name in query.requires if name not in known]
    if missing:
        raise BadInput(f"{query.path}: requires unknown inspector {missing[0]!r}; known: {', '.join(sorted(known))} "
                       "(load yours with --inspector-module FILE or $CORPUSCOPE_INSPECTOR_MODULES)")
    views.check_select(query.sql, str(query.path))


def validate_query(query: Query) -> None:
    """Raise ``BadInput`` naming the file if ``query``'s parameters, inspectors or SQL are wrong."""
    check_runnable(query)
    for param in query.params:
        if param.default is not None:
            param.convert(param.default, query.name)
    values = example_values(query)
    con = views.open_table(documents_schema().empty_table())
    try:
        con.execute(f"SELECT * FROM ({query.sql}) LIMIT 0", values)
    except duckdb.Error as error:
        raise BadInput(f"{query.path}: SQL does not prepare: {str(error).splitlines()[0][:300]}") from None
    if query.kind == "slice":
        names = [d[0] for d in con.execute(f"SELECT * FROM ({query.sql}) LIMIT 0", values).description]
        if "shard" not in names or "row" not in names:
            raise BadInput(f"{query.path}: a slice must SELECT * FROM documents WHERE … (shard and row kept)")
    if query.strata:
        _check_strata(query, con, values)
    if query.highlight:
        try:
            evidence.compile_terms(query.highlight)
        except BadInput as error:
            raise BadInput(f"{query.path}: {error}") from None


def _check_strata(query: Query, con, values: dict) -> None:
    """Each ``strata`` condition is one expression that binds over ``text``, ``url`` and ``source``."""
    from inspectors.core import stratified

    try:
        case_sql = stratified.strata_sql(query.strata)
    except BadInput as error:
        raise BadInput(f"{query.path}: {error}") from None
    used = {k: v for k, v in values.items() if f"${k}" in case_sql}
    sql = stratified.prefilter_sql(case_sql).replace("FROM _batch", "FROM documents") + " LIMIT 0"
    try:
        con.execute(sql, used or None)
    except duckdb.Error as error:
        raise BadInput(f"{query.path}: strata do not prepare: {str(error).splitlines()[0][:300]}") from None


def _example(kind: str):
    return {"str": "x", "int": 0, "float": 0.0, "bool": False, "list": ["x"]}[kind]
