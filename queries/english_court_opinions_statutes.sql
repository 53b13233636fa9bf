-- ---
-- title: English court opinions and statutes
-- description: English legal documents — court opinions and judgments, statutes, regulations, contracts (language = en, format = legal_document).
-- version: 2
-- kind: slice
-- requires: [language, topic, length, tokens]
-- params:
--   min_score: {type: float, default: 0.5, help: Minimum language score for a document to count.}
-- highlight: ["\\bcourt\\b", "\\bappellant\\b", "\\bplaintiff\\b", "\\bdefendant\\b", "§", "\\bstatute\\b", "U\\.S\\.C\\."]
-- strata:
--   - name: legal_markers
--     when: "regexp_matches(text, '(?i)(\\b(appellant|appellee|plaintiff|defendant|affirmed|reversed|hereinafter|whereas)\\b|U\\.S\\.C\\.|§)')"
-- ---
SELECT * FROM documents
WHERE language = 'en' AND language_score >= $min_score AND format = 'legal_document'
