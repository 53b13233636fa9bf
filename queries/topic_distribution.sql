-- ---
-- title: Topic distribution
-- description: Documents, bytes and tokens per topic (WebOrganizer's topics, with law widened to legislation, courts, crime and justice).
-- version: 1
-- kind: report
-- dimensions: [topic]
-- overview: {label: Topic, order: 3, caption: "Share per topic label (WebOrganizer-style taxonomy; law separates legal documents from news about courts)."}
-- requires: [topic, length, tokens]
-- ---
SELECT
    coalesce(topic, 'unknown') AS topic,
    count(*) AS documents,
    count(*) / sum(count(*)) OVER () AS document_share,
    sum(n_bytes) AS bytes,
    sum(n_bytes) / sum(sum(n_bytes)) OVER () AS byte_share,
    sum(n_tokens) AS tokens,
    sum(n_tokens) / sum(sum(n_tokens)) OVER () AS token_share
FROM documents
GROUP BY 1
ORDER BY documents DESC, topic
