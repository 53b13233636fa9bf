-- ---
-- title: Top public suffixes
-- description: Public suffixes (TLDs such as vn, com.vn, gov.vn) by documents, bytes and tokens.
-- version: 1
-- kind: report
-- dimensions: [suffix]
-- requires: [web_domain, length, tokens]
-- params:
--   limit: {type: int, default: 25, help: How many suffixes to list.}
-- ---
SELECT
    coalesce(suffix, '(no url)') AS suffix,
    count(*) AS documents,
    count(*) / sum(count(*)) OVER () AS document_share,
    sum(n_bytes) AS bytes,
    sum(n_bytes) / sum(sum(n_bytes)) OVER () AS byte_share,
    sum(n_tokens) AS tokens,
    sum(n_tokens) / sum(sum(n_tokens)) OVER () AS token_share
FROM documents
GROUP BY 1
ORDER BY documents DESC, suffix
LIMIT $limit
