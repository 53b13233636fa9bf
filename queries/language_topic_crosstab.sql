-- ---
-- title: Language × topic cross-tab
-- description: Documents and bytes for every (language, topic) pair, with the pair's share of the corpus and the topic's share within its language.
-- version: 1
-- kind: report
-- dimensions: [language, topic]
-- overview: {label: Language × topic, order: 7, chart: heatmap, caption: "Share of the corpus in each language and topic cell; hover a cell for its 95% interval."}
-- requires: [language, topic, length, tokens]
-- params:
--   min_documents: {type: int, default: 1, help: Hide pairs with fewer documents than this.}
-- ---
SELECT
    language,
    coalesce(topic, 'unknown') AS topic,
    count(*) AS documents,
    count(*) / sum(count(*)) OVER () AS document_share,
    count(*) / sum(count(*)) OVER (PARTITION BY language) AS within_language_share,
    sum(n_bytes) AS bytes,
    sum(n_bytes) / sum(sum(n_bytes)) OVER () AS byte_share,
    sum(n_tokens) AS tokens,
    sum(n_tokens) / sum(sum(n_tokens)) OVER () AS token_share
FROM documents
GROUP BY 1, 2
HAVING count(*) >= $min_documents
ORDER BY language, documents DESC, topic
