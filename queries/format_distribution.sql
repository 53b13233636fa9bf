-- ---
-- title: Format distribution
-- description: Documents, bytes and tokens per format (WebOrganizer's formats plus legal_document and news).
-- version: 1
-- kind: report
-- dimensions: [format]
-- overview: {label: Format, order: 4, caption: "Share per format label (article, statute, forum, code…)."}
-- requires: [topic, length, tokens]
-- ---
SELECT
    coalesce(format, 'unknown') AS format,
    count(*) AS documents,
    count(*) / sum(count(*)) OVER () AS document_share,
    sum(n_bytes) AS bytes,
    sum(n_bytes) / sum(sum(n_bytes)) OVER () AS byte_share,
    sum(n_tokens) AS tokens,
    sum(n_tokens) / sum(sum(n_tokens)) OVER () AS token_share
FROM documents
GROUP BY 1
ORDER BY documents DESC, format
