-- ---
-- title: Document length distribution
-- description: Documents and bytes per length bucket (UTF-8 bytes, powers of two).
-- version: 1
-- kind: report
-- requires: [length]
-- ---
SELECT
    CASE WHEN n_bytes = 0 THEN 0 ELSE CAST(pow(2, floor(log2(n_bytes))) AS BIGINT) END AS min_bytes,
    count(*) AS documents,
    count(*) / sum(count(*)) OVER () AS document_share,
    sum(n_bytes) AS bytes,
    sum(n_bytes) / sum(sum(n_bytes)) OVER () AS byte_share
FROM documents
GROUP BY 1
ORDER BY 1
