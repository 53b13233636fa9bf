-- ---
-- title: Document length distribution
-- description: Documents, bytes and tokens per length bucket (UTF-8 bytes, powers of two).
-- version: 1
-- kind: report
-- dimensions: [length_bucket]
-- overview: {label: "Document length (UTF-8 bytes, power-of-two buckets)", order: 6, chart: ordered, caption: "Each bar counts documents whose size falls in [bucket, 2 × bucket)."}
-- requires: [length, tokens]
-- ---
SELECT
    CASE WHEN n_bytes = 0 THEN 0 ELSE CAST(pow(2, floor(log2(n_bytes))) AS BIGINT) END AS min_bytes,
    CASE WHEN n_bytes = 0 THEN 'empty'
         WHEN n_bytes < 1024 THEN CAST(CAST(pow(2, floor(log2(n_bytes))) AS BIGINT) AS VARCHAR) || ' B'
         WHEN n_bytes < 1048576 THEN CAST(CAST(pow(2, floor(log2(n_bytes)) - 10) AS BIGINT) AS VARCHAR) || ' KiB'
         ELSE CAST(CAST(pow(2, floor(log2(n_bytes)) - 20) AS BIGINT) AS VARCHAR) || ' MiB' END AS length_bucket,
    count(row) AS documents,
    count(row) / sum(count(row)) OVER () AS document_share,
    sum(n_bytes) AS bytes,
    sum(n_bytes) / sum(sum(n_bytes)) OVER () AS byte_share,
    sum(n_tokens) AS tokens,
    sum(n_tokens) / sum(sum(n_tokens)) OVER () AS token_share
FROM documents
GROUP BY ALL
ORDER BY 1
