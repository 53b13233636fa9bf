-- ---
-- title: Source code share
-- description: >
--   Documents that are mostly source code (format = source_code: at least half of their lines look
--   like code, or a code source such as the Pile's Github or The Stack).
-- version: 1
-- kind: slice
-- requires: [topic, length, tokens]
-- highlight: ["\\bdef\\b", "\\bclass\\b", "\\bimport\\b", "\\bfunction\\b", "\\breturn\\b"]
-- strata:
--   - {name: code_lines, when: "regexp_matches(text, '(?m)^[ \\t]*(def |class |import |#include|function |public |return )|[;{}][ \\t]*$')"}
-- ---
SELECT * FROM documents
WHERE format = 'source_code'
