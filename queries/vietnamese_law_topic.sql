-- ---
-- title: Vietnamese law topic
-- description: >
--   Vietnamese documents about law in the broad sense — legislation, courts, litigation, legal advice,
--   crime and justice — whatever their format, news about trials included (language = vi, topic = law).
-- version: 1
-- kind: slice
-- requires: [language, topic, length, tokens]
-- params:
--   min_score: {type: float, default: 0.5, help: Minimum language score for a document to count.}
-- highlight: ["Điều \\d+", "tòa án", "bị cáo", "pháp luật", "luật", "xét xử"]
-- strata:
--   - name: vi_law_markers
--     when: "regexp_matches(lower(text), 'điều [0-9]+|tòa án|toà án|bị cáo|pháp luật|xét xử|nghị định|vi phạm')"
--   - name: vietnamese_letters
--     when: "regexp_matches(text, '[ăđơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ\u031b\u0306]')"
-- ---
SELECT * FROM documents
WHERE language = 'vi' AND language_score >= $min_score AND topic = 'law'
