-- ---
-- title: Language share
-- description: Documents identified as one language (ISO 639-1 code), e.g. for an evaluation task in that language.
-- version: 1
-- kind: slice
-- requires: [language, length, tokens]
-- params:
--   language: {type: str, default: vi, help: ISO 639-1 language code.}
--   min_score: {type: float, default: 0.5, help: Minimum language score for a document to count.}
-- ---
SELECT * FROM documents
WHERE language = $language AND language_score >= $min_score
