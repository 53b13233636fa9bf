-- ---
-- title: Per-source breakdown
-- description: Documents, bytes and tokens per source or subset (the Pile's pile_set_name, Dolma's source, ...).
-- version: 1
-- kind: report
-- dimensions: [source]
-- overview: {label: Source, order: 2, caption: "Share per source or subset named in the corpus (Dolma's `source`, the Pile's set)."}
-- requires: [length, tokens]
-- ---
SELECT
    coalesce(source, '(none)') AS source,
    count(*) AS documents,
    count(*) / sum(count(*)) OVER () AS document_share,
    sum(n_bytes) AS bytes,
    sum(n_bytes) / sum(sum(n_bytes)) OVER () AS byte_share,
    sum(n_tokens) AS tokens,
    sum(n_tokens) / sum(sum(n_tokens)) OVER () AS token_share
FROM documents
GROUP BY 1
ORDER BY documents DESC, source
