"""The catalogue: required corpora and models, sourced facts, model-name resolution, the user's own file."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from conftest import SHARED

from inspectors.cli.catalogue_cmds import corpus, models
from inspectors.core.catalogue import OPENNESS_FIELDS, add_corpus, find_model, load_catalogue
from inspectors.core.errors import BadInput

LM_EVAL = SHARED / "lm_eval_results"
PYTHIA_SIZES = ["14m", "31m", "70m", "160m", "410m", "1b", "1.4b", "2.8b", "6.9b", "12b"]
REQUIRED_CORPORA = {"dolma": {"v1.5", "v1.6", "v1.7"}, "olmo-mix-1124": set(), "pile": set(), "pile-deduped": set(),
                    "amber-datasets": set(), "fineweb": set(), "fineweb-edu": set(), "fineweb-2": set(),
                    "culturax": set(), "redpajama-v1": set(), "redpajama-v2": set(), "c4": set(), "mc4": set(),
                    "common-corpus": set()}
REQUIRED_MODELS = {
    "allenai/OLMo-1B": ("dolma", "v1.5"), "allenai/OLMo-7B": ("dolma", "v1.5-sample"),
    "allenai/OLMo-7B-0424": ("dolma", "v1.7"), "allenai/OLMo-1.7-7B": ("dolma", "v1.7"),
    "allenai/OLMo-2-1124-7B": ("olmo-mix-1124", "1124"), "LLM360/Amber": ("amber-datasets", "1.0"),
    "state-spaces/mamba-1.4b": ("pile", "standard"), "BlinkDL/rwkv-4-pile-169m": ("pile", "standard"),
    "bigscience/bloom-560m": (None, None), "facebook/xglm-564M": (None, None), "Qwen/Qwen2.5-1.5B": (None, None),
    **{f"EleutherAI/pythia-{s}": ("pile", "standard") for s in PYTHIA_SIZES},
    **{f"EleutherAI/pythia-{s}-deduped": ("pile-deduped", "pythia") for s in PYTHIA_SIZES},
}
URL = re.compile(r"^https://\S+$")


def run(group, *args):
    """Invoke a click group; returns the Result (exceptions kept on it, not raised)."""
    return CliRunner().invoke(group, [str(a) for a in args])


# ------------------------------------------------------------------------------------ contents


def test_required_corpora_and_versions(home):
    catalogue = load_catalogue()
    assert set(REQUIRED_CORPORA) <= {c.name for c in catalogue.corpora}
    for name, versions in REQUIRED_CORPORA.items():
        assert versions <= set(catalogue.corpus(name).versions), name
    assert catalogue.corpus("dolma").version == "v1.7"
    assert catalogue.corpus("dolma:v1.5").version == "v1.5"
    assert catalogue.corpus("DOLMA:v1.6").name == "dolma"


@pytest.mark.parametrize("name, expected", REQUIRED_MODELS.items())
def test_required_models_and_their_corpus(home, name, expected):
    model = load_catalogue().model(name)
    assert (model.corpus, model.corpus_version) == expected
    if model.corpus:
        assert model.corpus_version in load_catalogue().corpus(model.corpus).versions
    else:  # no open corpus: the card must say the training data is not open, with its source
        assert model.openness["training_data"]["open"] is False and model.note


def test_every_fact_has_a_source(home):
    catalogue = load_catalogue()
    for entry in catalogue.corpora:
        assert entry.homepage is None or URL.match(entry.homepage), entry.name
        for version in entry.versions:
            e = catalogue.corpus(f"{entry.name}:{version}")
            where = f"{e.name}:{version}"
            assert all(URL.match(str(u)) for u in e.sources.values()), where
            for key, value in e.size.items():
                assert value is None or e.sources.get(key) or e.sources.get("size"), (where, key)
            assert e.license is None or e.sources.get("license"), where
            assert not e.shard_spec or e.sources.get("shards"), where
            assert not any(e.columns.values()) or e.sources.get("columns"), where
            assert e.format is None or e.sources.get("format") or e.sources.get("shards"), where
    for model in catalogue.models:
        assert set(model.openness) == set(OPENNESS_FIELDS), model.name
        for key, item in model.openness.items():
            assert item["open"] is None or URL.match(item.get("source") or ""), (model.name, key)
        assert URL.match(model.sources.get("corpus", "")), model.name
        assert "{size}" not in json.dumps(model.to_dict()), model.name


def test_shard_specs_are_machine_usable(home):
    catalogue = load_catalogue()
    dolma = catalogue.corpus("dolma:v1.7")
    assert dolma.shard_spec["url_list"].endswith("urls/v1_7.txt") and dolma.hf_uri() is None
    assert (dolma.format, dolma.compression, dolma.columns["url"]) == ("jsonl", "gz", "metadata.url")
    assert catalogue.corpus("fineweb-2").hf_uri() == "hf://datasets/HuggingFaceFW/fineweb-2@main/data/vie_Latn/train/*.parquet"
    assert catalogue.corpus("pile").columns["source"] == "meta.pile_set_name"
    for entry in catalogue.corpora:
        for version in entry.versions:
            spec = catalogue.corpus(f"{entry.name}:{version}").shard_spec
            assert spec is None or spec.get("hf") or spec.get("url_list") or spec.get("urls"), entry.name


# ------------------------------------------------------------------------------------ find_model


@pytest.mark.parametrize("text, name", [
    ("EleutherAI/pythia-1.4b-deduped", "EleutherAI/pythia-1.4b-deduped"),
    ("eleutherai/PYTHIA-160M", "EleutherAI/pythia-160m"),
    ("/data/public_models/huggingface/EleutherAI/pythia-1.4b-deduped", "EleutherAI/pythia-1.4b-deduped"),
    ("__data__public_models__huggingface__EleutherAI__pythia-14m", "EleutherAI/pythia-14m"),
    ("pretrained=EleutherAI/pythia-160m,revision=step3000", "EleutherAI/pythia-160m"),
    ("use_accelerate=True,pretrained=EleutherAI/pythia-v1.1-1.4b-deduped,revision=step0", "EleutherAI/pythia-1.4b-deduped"),
    ("EleutherAI__pythia-1.4b", "EleutherAI/pythia-1.4b"),
    ("EleutherAI/pythia-410m@step3000", "EleutherAI/pythia-410m"),
    ("/models/EleutherAI/pythia-70m-deduped/step143000", "EleutherAI/pythia-70m-deduped"),
    ("~/.cache/huggingface/hub/models--EleutherAI--pythia-2.8b/snapshots/0123abc", "EleutherAI/pythia-2.8b"),
    ("state-spaces__mamba-1.4b", "state-spaces/mamba-1.4b"),
    ("pretrained=state-spaces/mamba2-130m,dtype=float32", "state-spaces/mamba2-130m"),
    ("state-spaces/mamba-130m-hf", "state-spaces/mamba-130m"),
    ("BlinkDL/rwkv-4-pile-1b5", "BlinkDL/rwkv-4-pile-1b5"),
    ("/workspace/RWKV-x070-Pile-1.47B-20241210-ctx4096", "BlinkDL/rwkv-7-pile"),
    ("pretrained=bigscience/bloom-1b1,use_accelerate=True,max_memory_per_gpu=40GIB", "bigscience/bloom-1b1"),
    ("bloom-7b1", "bigscience/bloom-7b1"),
    ("pretrained=facebook/xglm-564M", "facebook/xglm-564M"),
    ("Qwen__Qwen2.5-1.5B", "Qwen/Qwen2.5-1.5B"),
    ("allenai/OLMo-1.7-7B-hf", "allenai/OLMo-7B-0424"),
])
def test_find_model_resolves_names_in_the_wild(home, text, name):
    assert find_model(text).name == name


@pytest.mark.parametrize("text", [
    "gpt2", "someone/unknown-model", "someone/pythia-160m", "EleutherAI/pythia-v1.1-1b-bf16",
    "fla-hub/rwkv7-1.5B-world", "{'pretrained': 'google/gemma-2b', 'dtype': 'bfloat16'}", "zero-shot", "", "pythia",
])
def test_find_model_never_guesses(home, text):
    assert find_model(text) is None


def test_mamba_slimpajama_is_not_the_pile(home):
    assert find_model("state-spaces/mamba-2.8b-slimpj").corpus is None
    assert find_model("state-spaces/mamba-2.8b").corpus == "pile"


def test_every_model_in_the_shared_eval_results_resolves_or_is_known_unknown(home):
    """Real lm-eval outputs name their model many ways; each of our catalogue's models must resolve."""
    unknown = {"gpt2", "facebook/opt", "google/gemma", "meta-llama/llama", "tinyllama", "fla-hub/rwkv7",
               "visualrwkv", "pythia-v1.1-1b-bf16"}
    files = sorted(LM_EVAL.rglob("*.json"))
    assert files, f"{LM_EVAL} holds no results"
    for path in files:
        data = json.loads(path.read_text())
        config = data.get("config") or {}
        args = config.get("model_args")
        names = [str(args) if args else None, data.get("model_name"), data.get("model_name_sanitized"), data.get("model")]
        names = [n for n in names if isinstance(n, str) and n]
        found = next((m for m in map(find_model, names) if m), None)
        label = " ".join(names + [str(path)]).lower()
        assert found or any(u in label for u in unknown), f"{path}: {names}"


# ------------------------------------------------------------------------------------ user file


def test_user_file_overrides_and_extends(home):
    home.mkdir(parents=True)
    (home / "catalogue.yaml").write_text("""
corpora:
  - name: dolma
    license: my note on the licence
    versions:
      - {version: local, default: true, shards: {urls: [/data/dolma/a.json.gz]}, format: jsonl, columns: {text: text}}
      - {version: v1.7, shards: {urls: [/mirror/v17.json.gz]}, format: jsonl}
  - name: mine
    versions: [{version: "1", shards: {hf: me/mine, patterns: [data/*.parquet]}, format: parquet}]
models:
  - name: me/my-model
    organisation: me
    corpus: mine
    corpus_version: "1"
    openness: {training_data: {open: true, source: "https://example.org"}}
  - name: EleutherAI/pythia-160m
    organisation: EleutherAI
    corpus: mine
""")
    catalogue = load_catalogue()
    dolma = catalogue.corpus("dolma")
    assert dolma.version == "local" and dolma.license == "my note on the licence"
    assert {"v1.5", "v1.6", "v1.7", "local"} <= set(dolma.versions)
    assert catalogue.corpus("dolma:v1.7").shard_spec == {"urls": ["/mirror/v17.json.gz"]}
    assert catalogue.corpus("dolma:v1.5").shard_spec["url_list"].endswith("v1_5.txt")
    assert catalogue.corpus("mine").hf_uri() == "hf://datasets/me/mine/data/*.parquet"
    assert find_model("me/my-model").corpus == "mine"
    assert set(catalogue.corpus("mine").models) == {"me/my-model", "EleutherAI/pythia-160m"}
    assert [m.name for m in catalogue.models].count("EleutherAI/pythia-160m") == 1
    assert find_model("EleutherAI/pythia-160m").corpus == "mine"


def test_add_corpus_writes_and_merges(home, tmp_path):
    shard = tmp_path / "shards" / "part-0.parquet"
    shard.parent.mkdir()
    shard.write_bytes(b"PAR1")
    entry = add_corpus("mine", [str(shard.parent)], columns={"text": "body", "url": None}, description="mine")
    assert (entry.name, entry.version, entry.columns) == ("mine", "user", {"text": "body"})
    assert entry.shard_spec == {"urls": [str(shard)]}
    entry = add_corpus("mine", ["hf://datasets/me/mine@v2/data/*.parquet"], format="parquet", version="v2")
    assert entry.hf_uri() == "hf://datasets/me/mine@v2/data/*.parquet"
    catalogue = load_catalogue()
    assert catalogue.corpus("mine").version == "v2" and catalogue.corpus("mine").versions == ("v2", "user")
    assert catalogue.corpus("mine").description == "mine"
    add_corpus("dolma", ["https://example.org/urls.txt"], version="mirror")
    assert load_catalogue().corpus("dolma").shard_spec == {"url_list": "https://example.org/urls.txt"}
    assert "v1.7" in load_catalogue().corpus("dolma").versions
    with pytest.raises(BadInput, match="does not exist"):
        add_corpus("x", [str(tmp_path / "missing.parquet")])
    with pytest.raises(BadInput, match="one repository"):
        add_corpus("x", ["hf://datasets/a/b/x.parquet", "hf://datasets/c/d/y.parquet"])


@pytest.mark.parametrize("text, message", [
    ("corpora:\n  - description: no name here\n", r"catalogue\.yaml: corpora\[0\] needs a 'name'"),
    ("corpora: [unclosed\n", r"catalogue\.yaml is not valid YAML"),
    ("corpora: {name: x}\n", r"catalogue\.yaml: 'corpora' must be a list"),
    ("corpora:\n  - name: x\n    versions:\n      - {version: a, format: csv}\n",
     r"catalogue\.yaml: corpora\[0\] \(x\)\.versions\[0\]\.format must be one of parquet, jsonl"),
    ("corpora:\n  - name: x\n    versions:\n      - {version: a, shards: {bucket: s3://x}}\n",
     r"corpora\[0\] \(x\)\.versions\[0\]\.shards\.bucket"),
    ("models:\n  - name: a/b\n    openness: {weights: yes}\n", r"models\[0\] \(a/b\)\.openness\.weights"),
    ("- just a list\n", r"catalogue\.yaml: the file must be a mapping"),
])
def test_malformed_user_catalogue_names_file_and_key(home, text, message):
    home.mkdir(parents=True, exist_ok=True)
    (home / "catalogue.yaml").write_text(text)
    with pytest.raises(BadInput, match=message) as error:
        load_catalogue()
    assert str(home / "catalogue.yaml") in str(error.value)


# ------------------------------------------------------------------------------------ CLI


def test_cli_corpus_list_and_show(home):
    result = run(corpus, "list")
    assert result.exit_code == 0 and "pile-deduped" in result.output and "fineweb-2" in result.output
    listed = json.loads(run(corpus, "list", "--format", "json").output)
    assert {c["name"] for c in listed} >= set(REQUIRED_CORPORA)
    result = run(corpus, "show", "dolma:v1.5")
    assert result.exit_code == 0 and "dolma:v1.5" in result.output and "OLMo-1B" in result.output
    shown = json.loads(run(corpus, "show", "fineweb-2", "--format", "json").output)
    assert shown["shard_spec"]["hf"] == "HuggingFaceFW/fineweb-2" and shown["sources"]["shards"].startswith("https://")
    result = run(corpus, "show", "dolmaa")
    assert isinstance(result.exception, BadInput) and result.exception.exit_code == 2
    assert "unknown corpus 'dolmaa'. Did you mean: dolma? Available:" in str(result.exception)
    assert isinstance(run(corpus, "show", "dolma:v9").exception, BadInput)


def test_cli_models_list_and_show(home):
    result = run(models, "show", "EleutherAI/pythia-1.4b-deduped")
    assert result.exit_code == 0 and "pile-deduped:pythia" in result.output and "intermediate checkpoints" in result.output
    card = json.loads(run(models, "show", "facebook/xglm-564M", "--format", "json").output)
    assert card["corpus"] is None and card["openness"]["training_data"]["open"] is False
    listed = json.loads(run(models, "list", "--corpus", "pile", "--format", "json").output)
    assert listed and all(m["corpus"] == "pile" for m in listed)
    assert {"EleutherAI/pythia-12b", "state-spaces/mamba-1.4b"} <= {m["name"] for m in listed}
    assert "EleutherAI/pythia-12b-deduped" not in {m["name"] for m in listed}
    result = run(models, "list")
    assert result.exit_code == 0 and "bigscience/bloom-560m" in result.output
    assert isinstance(run(models, "list", "--corpus", "nope").exception, BadInput)
    assert isinstance(run(models, "show", "someone/unknown").exception, BadInput)


def test_cli_add(home, tmp_path):
    shard = tmp_path / "mine.jsonl"
    shard.write_text('{"body": "Xin chào các bạn."}\n')
    result = run(corpus, "add", "mine", "--shards", shard, "--text-column", "body", "--description", "test corpus")
    assert result.exit_code == 0, result.output
    entry = load_catalogue().corpus("mine")
    assert entry.columns == {"text": "body"} and entry.shard_spec == {"urls": [str(shard)]}
    assert (home / "catalogue.yaml").exists()
    assert isinstance(run(corpus, "add", "bad", "--shards", tmp_path / "nope.jsonl").exception, BadInput)


def test_every_command_has_help():
    for group in (corpus, models):
        assert group.help
        for command in group.commands.values():
            assert command.help, command.name
            for param in command.params:
                assert isinstance(param, __import__("click").Argument) or param.help, (command.name, param.name)


def test_cross_references_hold_both_ways(home):
    """Issue 15 item 14: a corpus version lists exactly the models the catalogue says trained on it, and
    every model's corpus and version exist; a variant's links name the variant, not its base model."""
    catalogue = load_catalogue()
    for model in catalogue.models:
        if model.corpus is None:
            continue
        entry = catalogue.corpus(f"{model.corpus}:{model.corpus_version}" if model.corpus_version else model.corpus)
        assert model.name in entry.models, (model.name, entry.name, entry.version, entry.models)
    for base in catalogue.corpora:
        for version in base.versions:
            entry = catalogue.corpus(f"{base.name}:{version}")
            for name in entry.models:
                model = catalogue.model(name)
                assert model.corpus == entry.name and model.corpus_version in (None, entry.version), \
                    (entry.name, entry.version, name, model.corpus, model.corpus_version)
    assert "allenai/OLMo-1B" not in catalogue.corpus("dolma:v1.7").models
    assert catalogue.corpus("dolma:v1.7").models == ("allenai/OLMo-7B-0424",)
    for model in catalogue.models:
        if model.name.endswith("-deduped"):
            base = model.name[: -len("-deduped")]
            for key, value in model.openness.items():
                source = (value or {}).get("source") or ""
                assert not re.search(rf"huggingface\.co/{re.escape(base)}(?:$|[/?#])", source), (model.name, key, source)
    deduped = catalogue.model("EleutherAI/pythia-1.4b-deduped")
    assert deduped.openness["weights"]["source"] == "https://huggingface.co/EleutherAI/pythia-1.4b-deduped"


def test_corpora_page_prints_facts_not_dicts(home, tmp_path, monkeypatch):
    """Issue 15 item 14, app: the Corpora page shows sizes as readable numbers, one fact per row."""
    from conftest import app_session

    app = app_session(tmp_path, monkeypatch, "pages/corpora.py")
    assert not app.exception
    app.selectbox(key="cat_pick").set_value("dolma").run()
    facts = app.table[0].value
    text = facts.to_string()
    assert "documents: ," not in text and "{" not in text, text
    rows = dict(zip(facts["fact"], facts["value"]))
    assert rows.get("tokens") == "2.31T", rows
    listing = next(d.value for d in app.dataframe if "name" in d.value.columns and "tokens" in d.value.columns)
    assert "size" not in listing.columns
    assert listing.loc[listing["name"] == "dolma", "tokens"].iloc[0] == "2.31T"
