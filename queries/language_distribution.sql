-- ---
-- title: Language distribution
-- description: Documents, bytes and tokens per detected language, with each language's share.
-- version: 1
-- kind: report
-- dimensions: [language]
-- overview: {label: Language, order: 1, caption: "Share of the corpus per detected language (ISO 639-1; `und` = undetermined)."}
-- requires: [language, length, tokens]
-- params:
--   min_score: {type: float, default: 0.0, help: Count only documents whose language score is at least this.}
-- ---
SELECT
    language,
    count(*) AS documents,
    count(*) / sum(count(*)) OVER () AS document_share,
    sum(n_bytes) AS bytes,
    sum(n_bytes) / sum(sum(n_bytes)) OVER () AS byte_share,
    sum(n_tokens) AS tokens,
    sum(n_tokens) / sum(sum(n_tokens)) OVER () AS token_share
FROM documents
WHERE language_score >= $min_score OR language = 'und'
GROUP BY language
ORDER BY documents DESC, language
