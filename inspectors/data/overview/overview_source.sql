-- ---
-- title: "Overview: sources"
-- description: Documents, bytes and tokens per source or subset.
-- version: 1
-- kind: report
-- requires: [length, tokens]
-- ---
SELECT
    coalesce(source, '(none)') AS source,
    count(row) AS documents,
    count(row) / sum(count(row)) OVER () AS document_share,
    sum(n_bytes) AS bytes,
    sum(n_bytes) / sum(sum(n_bytes)) OVER () AS byte_share,
    sum(n_tokens) AS tokens,
    sum(n_tokens) / sum(sum(n_tokens)) OVER () AS token_share
FROM documents
GROUP BY ALL
ORDER BY documents DESC, 1
