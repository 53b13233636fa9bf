-- ---
-- title: Language × topic share
-- description: Documents in one language about one topic (e.g. language=vi, topic=law); the parameterised slice behind evaluation tasks.
-- version: 1
-- kind: slice
-- requires: [language, topic, length, tokens]
-- params:
--   language: {type: str, default: vi, help: ISO 639-1 language code.}
--   topic: {type: str, default: law, help: Topic id (see topic_distribution).}
--   min_score: {type: float, default: 0.5, help: Minimum language score for a document to count.}
-- ---
SELECT * FROM documents
WHERE language = $language AND language_score >= $min_score AND topic = $topic
