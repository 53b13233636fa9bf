-- ---
-- title: Top registered domains
-- description: The registered domains (eTLD+1) with the most documents, with their byte and token shares.
-- version: 1
-- kind: report
-- dimensions: [registered_domain]
-- overview: {label: Registered domain (top 15), order: 5, top: 15, caption: "Share per registered domain (eTLD+1); smaller domains are folded into one row."}
-- requires: [web_domain, length, tokens]
-- params:
--   limit: {type: int, default: 25, help: How many domains to list.}
-- ---
SELECT
    coalesce(registered_domain, '(no url)') AS registered_domain,
    count(*) AS documents,
    count(*) / sum(count(*)) OVER () AS document_share,
    sum(n_bytes) AS bytes,
    sum(n_bytes) / sum(sum(n_bytes)) OVER () AS byte_share,
    sum(n_tokens) AS tokens,
    sum(n_tokens) / sum(sum(n_tokens)) OVER () AS token_share
FROM documents
GROUP BY 1
ORDER BY documents DESC, registered_domain
LIMIT $limit
