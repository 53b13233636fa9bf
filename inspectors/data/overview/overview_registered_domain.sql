-- ---
-- title: "Overview: registered domains"
-- description: Documents, bytes and tokens per registered domain (eTLD+1).
-- version: 1
-- kind: report
-- requires: [web_domain, length, tokens]
-- ---
SELECT
    coalesce(registered_domain, '(no url)') AS registered_domain,
    count(row) AS documents,
    count(row) / sum(count(row)) OVER () AS document_share,
    sum(n_bytes) AS bytes,
    sum(n_bytes) / sum(sum(n_bytes)) OVER () AS byte_share,
    sum(n_tokens) AS tokens,
    sum(n_tokens) / sum(sum(n_tokens)) OVER () AS token_share
FROM documents
GROUP BY ALL
ORDER BY documents DESC, 1
