"""The catalogue: every required corpus and model, sourced facts, lookups, the user's own file."""

from __future__ import annotations

import json

import pytest

from inspectors.core.catalogue import OPENNESS_FIELDS, find_model, load_catalogue
from inspectors.core.errors import BadInput

REQUIRED_CORPORA = {"dolma": {"v1.5", "v1.6", "v1.7"}, "olmo-mix-1124": set(), "pile": set(), "pile-deduped": set(),
                    "amber-datasets": set(), "fineweb": set(), "fineweb-edu": set(), "fineweb-2": set(),
                    "culturax": set(), "redpajama-v1": set(), "redpajama-v2": set(), "c4": set(), "mc4": set(),
                    "common-corpus": set()}


def test_required_corpora_and_versions(home):
    catalogue = load_catalogue()
    names = {c.name for c in catalogue.corpora}
    assert set(REQUIRED_CORPORA) <= names
    for name, versions in REQUIRED_CORPORA.items():
        assert versions <= set(catalogue.corpus(name).versions)


def test_every_fact_has_a_source(home):
    catalogue = load_catalogue()
    for entry in catalogue.corpora:
        for version in entry.versions:
            e = catalogue.corpus(f"{entry.name}:{version}")
            for key, value in e.size.items():
                if value is not None:
                    assert e.sources.get(key) or e.sources.get("size"), (e.name, version, key)
            assert e.license is None or e.sources.get("license") or e.sources.get("homepage"), e.name
    for model in catalogue.models:
        assert set(model.openness) == set(OPENNESS_FIELDS), model.name
        for key, item in model.openness.items():
            assert item["open"] is None or item["source"] or key in ("training_code", "data_processing_code",
                                                                    "intermediate_checkpoints"), (model.name, key)
        assert model.sources.get("corpus", "").startswith("https://"), model.name


@pytest.mark.parametrize("name, corpus", [
    ("EleutherAI/pythia-1.4b-deduped", "pile-deduped"),
    ("eleutherai/PYTHIA-160M", "pile"),
    ("/data/public_models/huggingface/EleutherAI/pythia-1.4b-deduped", "pile-deduped"),
    ("pretrained=EleutherAI/pythia-v1.1-70m,revision=step3000", "pile"),
    ("state-spaces__mamba-1.4b", "pile"),
    ("allenai/OLMo-7B", "dolma"),
    ("allenai/OLMo-2-1124-7B", "olmo-mix-1124"),
    ("LLM360/Amber", "amber-datasets"),
])
def test_models_resolve_to_their_corpus(home, name, corpus):
    assert find_model(name).corpus == corpus


def test_closed_data_and_unknown_models(home):
    assert find_model("facebook/xglm-564M").corpus is None
    assert find_model("Qwen/Qwen2.5-1.5B").openness["training_data"]["open"] is False
    assert find_model("gpt2") is None and find_model("someone/unknown-model") is None
    assert load_catalogue().corpus("dolma").version == "v1.7"
    assert load_catalogue().corpus("dolma:v1.5").version == "v1.5"


def test_cli_lists_shows_and_adds(home, cli, tmp_path):
    code, out, _ = cli("corpus", "list")
    assert code == 0 and "pile-deduped" in out and "fineweb-2" in out
    code, out, _ = cli("models", "show", "EleutherAI/pythia-1.4b-deduped")
    assert code == 0 and "pile-deduped" in out and "intermediate checkpoints" in out
    code, out, _ = cli("models", "list", "--corpus", "pile", "--format", "json")
    assert all(m["corpus"] == "pile" for m in json.loads(out))
    code, _, err = cli("corpus", "show", "dolmaa")
    assert code == 2 and "Did you mean: dolma?" in err
    shard = tmp_path / "mine.parquet"
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"body": ["Xin chào các bạn, đây là một văn bản tiếng Việt."]}), shard)
    code, out, err = cli("corpus", "add", "mine", "--shards", shard, "--text-column", "body")
    assert code == 0, err
    assert load_catalogue().corpus("mine").columns == {"text": "body"}
    code, out, err = cli("sql", "mine", "select count(*) as n from documents", "--format", "json") if cli(
        "profile", "mine")[0] == 0 else (1, "", "profile failed")
    assert code == 0 and json.loads(out) == [{"n": 1}], err


def test_malformed_user_catalogue_names_file_and_key(home):
    home.mkdir(parents=True, exist_ok=True)
    (home / "catalogue.yaml").write_text("corpora:\n  - description: no name here\n")
    with pytest.raises(BadInput, match=r"catalogue.yaml: corpora\[0\] needs a 'name'"):
        load_catalogue()
    (home / "catalogue.yaml").write_text("corpora: [unclosed\n")
    with pytest.raises(BadInput, match="catalogue.yaml is not valid YAML"):
        load_catalogue()
