"""Length inspector: UTF-8 bytes and Unicode characters of each document's text."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from inspectors.core.registry import Inspector, register


@register
class LengthInspector(Inspector):
    """``n_bytes`` (UTF-8 bytes) and ``n_chars`` (code points) of ``text``; 0 for a null text."""

    name = "length"
    version = 1
    inputs = ("text",)
    output_schema = pa.schema([("n_bytes", pa.int64()), ("n_chars", pa.int64())])
    measures = {"bytes": "n_bytes"}

    def inspect(self, batch: pa.RecordBatch) -> dict[str, pa.Array]:
        text = batch.column(batch.schema.get_field_index("text"))
        n_bytes = pc.fill_null(pc.binary_length(text), 0).cast(pa.int64())
        n_chars = pc.fill_null(pc.utf8_length(text), 0).cast(pa.int64())
        return {"n_bytes": n_bytes, "n_chars": n_chars}
