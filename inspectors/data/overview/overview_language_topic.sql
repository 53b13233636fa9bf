-- ---
-- title: "Overview: language x topic"
-- description: Documents, bytes and tokens per language and topic.
-- version: 1
-- kind: report
-- requires: [language, topic, length, tokens]
-- ---
SELECT
    coalesce(language, 'und') AS language, coalesce(topic, '(none)') AS topic,
    count(row) AS documents,
    count(row) / sum(count(row)) OVER () AS document_share,
    sum(n_bytes) AS bytes,
    sum(n_bytes) / sum(sum(n_bytes)) OVER () AS byte_share,
    sum(n_tokens) AS tokens,
    sum(n_tokens) / sum(sum(n_tokens)) OVER () AS token_share
FROM documents
GROUP BY ALL
ORDER BY documents DESC, 1
