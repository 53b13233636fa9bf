"""Saved query files: every shipped file validates; broken files fail loudly naming file and key."""

from __future__ import annotations

import pytest

from inspectors.core import queries
from inspectors.core.errors import BadInput

HEADER = """-- ---
-- title: T
-- version: 1
-- kind: slice
-- params:
--   language: {type: str, default: vi}
-- ---
"""


def test_shipped_queries_validate(cli):
    code, out, err = cli("query", "validate")
    assert code == 0, err
    names = [q.name for q in queries.list_queries()]
    assert len(names) >= 12
    for required in ("language_distribution", "vietnamese_share", "topic_distribution", "format_distribution",
                     "language_topic_crosstab", "top_registered_domains", "top_suffixes", "source_breakdown",
                     "length_distribution", "vietnamese_legal_documents", "vietnamese_law_topic",
                     "english_court_opinions_statutes", "source_code_share", "language_topic_share"):
        assert required in names
        assert f"ok      {required}" in out
    assert all(q.title for q in queries.list_queries())


@pytest.mark.parametrize(
    "text, message",
    [
        ("SELECT * FROM documents", "no header"),
        ("-- ---\n-- title: [unclosed\n-- ---\nSELECT 1", "not valid YAML"),
        ("-- ---\n-- version: 1\n-- kind: slice\n-- ---\nSELECT * FROM documents", "'title' is missing"),
        ("-- ---\n-- title: T\n-- version: 1\n-- kind: table\n-- ---\nSELECT 1", "'kind' must be one of"),
        (HEADER.replace("type: str", "type: text") + "SELECT * FROM documents", "params.language.type"),
        (HEADER + "SELECT * FROM documents WHERE topic = $topic", "$topic"),
        (HEADER, "no SQL"),
        (HEADER + "SELECT * FROM documents", "declares language but the SQL never uses $language"),
        (HEADER + "SELECT * FROM documents WHERE text <> '$language' -- $language", "never uses $language"),
    ],
)
def test_broken_query_files_name_file_and_key(tmp_path, text, message):
    path = tmp_path / "broken.sql"
    path.write_text(text)
    with pytest.raises(BadInput) as error:
        queries.load(path)
    assert "broken.sql" in str(error.value) and message in str(error.value)


def test_validate_reports_broken_file_with_exit_2(cli, tmp_path, monkeypatch):
    (tmp_path / "typo.sql").write_text(HEADER + "SELECT * FROM documents WHERE langauge = $language")
    monkeypatch.setenv("CORPUSCOPE_QUERIES", str(tmp_path))
    code, out, err = cli("query", "validate")
    assert code == 2
    assert "typo.sql" in err and "langauge" in err


def test_params_are_typed_and_checked(tmp_path):
    path = tmp_path / "q.sql"
    path.write_text(HEADER.replace("language: {type: str, default: vi}", "n: {type: int, default: 3}") + "SELECT * FROM documents WHERE row < $n")
    q = queries.load(path)
    assert q.bind({"n": "10"}) == {"n": 10}
    with pytest.raises(BadInput, match="must be int"):
        q.bind({"n": "ten"})
    with pytest.raises(BadInput, match="unknown parameter 'm'"):
        q.bind({"m": "1"})


def test_unknown_query_name_suggests(cli):
    code, _, err = cli("query", "show", "vietnamese_shares")
    assert code == 2 and "Did you mean: vietnamese_share?" in err


def test_parameters_in_comments_and_literals_are_not_parameters(tmp_path):
    path = tmp_path / "priced.sql"
    path.write_text(HEADER + "-- cost in $USD\nSELECT * /* $ignored */ FROM documents\n"
                    "WHERE language = $language AND text <> 'costs $5' AND \"$col\" IS NOT NULL")
    assert [p.name for p in queries.load(path).params] == ["language"]


def test_yaml_errors_give_the_file_line(tmp_path):
    path = tmp_path / "broken.sql"
    path.write_text("-- ---\n-- title: T\n-- version: 1\n-- kind: [slice\n-- ---\nSELECT 1")
    with pytest.raises(BadInput, match=r"broken.sql: header is not valid YAML \(line 4\)"):
        queries.load(path)


def test_a_file_that_is_not_utf8_is_named(cli, tmp_path):
    path = tmp_path / "latin1.sql"
    path.write_bytes((HEADER + "SELECT * FROM documents WHERE language = $language -- café").encode("latin-1"))
    code, _, err = cli("query", "show", str(path))
    assert code == 2 and "latin1.sql: not UTF-8" in err and "Traceback" not in err


def test_one_broken_file_does_not_hide_the_others(cli, tmp_path, monkeypatch):
    (tmp_path / "typo.sql").write_text(HEADER + "SELECT * FROM documents WHERE langauge = $lang")
    monkeypatch.setenv("CORPUSCOPE_QUERIES", str(tmp_path))
    code, out, err = cli("query", "list")
    assert code == 0 and "vietnamese_share" in out and "typo" not in out
    assert "skipped" in err and "typo.sql" in err
    with pytest.raises(BadInput, match="typo.sql"):
        queries.list_queries()


def test_shipped_strata_match_their_symbols():
    import duckdb

    (stratum,) = queries.find("english_court_opinions_statutes").strata
    con = duckdb.connect()
    con.execute("CREATE TABLE documents AS SELECT * FROM (VALUES ('under § 1983'), ('42 U.S.C. 1983'), "
                "('The plaintiff appeals'), ('plaintiffs'), ('a recipe')) t(text)")
    hits = [r[0] for r in con.execute(f"SELECT text FROM documents WHERE {stratum['when']}").fetchall()]
    assert hits == ["under § 1983", "42 U.S.C. 1983", "The plaintiff appeals"]


@pytest.mark.parametrize("title, name", [("Tiếng Việt", "tieng_viet"), ("Điều luật 2024!", "dieu_luat_2024"),
                                         ("ĐẠI HỌC", "dai_hoc"), ("Vietnamese statutes", "vietnamese_statutes")])
def test_a_slice_title_suggests_a_name_with_its_letters(title, name):
    """A Vietnamese title lost its accented letters ("Tiếng Việt" -> ti_ng_vi_t); they keep their base letter."""
    from inspectors.core.slice_builder import suggest_name

    assert suggest_name(title) == name
