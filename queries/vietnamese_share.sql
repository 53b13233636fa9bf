-- ---
-- title: Vietnamese share
-- description: Documents identified as Vietnamese (language = vi) at or above a language score.
-- version: 1
-- kind: slice
-- requires: [language, length, tokens]
-- params:
--   min_score: {type: float, default: 0.5, help: Minimum language score for a document to count.}
-- highlight: ["\\b(của|và|những|được|trong|không)\\b"]
-- strata:
--   - {name: vietnamese_letters, when: "regexp_matches(text, '[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]')"}
-- ---
SELECT * FROM documents
WHERE language = 'vi' AND language_score >= $min_score
