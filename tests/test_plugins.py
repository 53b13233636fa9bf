"""The one extension point: built-ins, entry points, ``$CORPUSCOPE_INSPECTOR_MODULES`` and
``--inspector-module`` load through ``inspectors.core.plugins`` in the driver, in fresh interpreters,
in local pool workers (fork, spawn, forkserver) and in Ray workers; each key says where it came from."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import REPO, SAMPLE
from inspectors.core import plugins, registry
from inspectors.core.errors import BadInput

ENV = "CORPUSCOPE_INSPECTOR_MODULES"
BUILTINS = {"language_v1", "length_v1", "tokens_v1", "topic_v1", "web_domain_v1"}

INSPECTOR = '''
import pyarrow as pa
import pyarrow.compute as pc
from inspectors.core.registry import Inspector, register

@register
class {cls}(Inspector):
    """Share of upper-case letters."""
    name = "{name}"
    version = 1
    inputs = ("text",)
    output_schema = pa.schema([("{column}", pa.float64())])

    def inspect(self, batch):
        text = pc.fill_null(batch.column(batch.schema.get_field_index("text")), "")
        upper = pc.utf8_length(pc.replace_substring_regex(text, "[^A-Z]", ""))
        total = pc.max_element_wise(pc.utf8_length(text), 1)
        return {{"{column}": pc.divide(pc.cast(upper, pa.float64()), pc.cast(total, pa.float64()))}}
'''


def write_inspector(folder: Path, stem: str, name: str, column: str | None = None) -> Path:
    """A user's inspector module ``folder/stem.py`` registering ``name``_v1 with one float column."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.py"
    path.write_text(INSPECTOR.format(cls=name.title().replace("_", ""), name=name, column=column or f"{name}_share"))
    return path


def run_python(code: str, tmp_path: Path, env: dict | None = None, args: tuple = ()) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter, caches in ``tmp_path``, no plugin variable unless given."""
    full = {k: v for k, v in os.environ.items() if k not in (ENV, "PYTHONPATH")}
    full.update(CORPUSCOPE_HOME=str(tmp_path / "home"), PYTHONPATH=str(REPO))
    full.update(env or {})
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], env=full, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)


ORIGINS = """
    import json
    from inspectors.core import plugins
    print(json.dumps({"origins": plugins.origins(), "problems": plugins.problems()}))
"""


@pytest.fixture
def isolated(monkeypatch):
    """Plugins and registry state as they are now, restored after the test (in-process loads stay in)."""
    monkeypatch.delenv(ENV, raising=False)
    plugins.load_all()
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    for name in ("_sources", "_module_sources", "_failures", "_origins"):
        monkeypatch.setattr(plugins, name, dict(getattr(plugins, name)))
    monkeypatch.setattr(plugins, "_problems", list(plugins._problems))
    for name in ("_env_seen", "_env_error", "_defaults_done", "_entry_points_done"):
        monkeypatch.setattr(plugins, name, getattr(plugins, name))
    return monkeypatch


def test_builtins_say_builtin():
    found = plugins.origins()
    assert BUILTINS <= set(found)
    assert {found[key] for key in BUILTINS} == {"builtin"}
    assert plugins.origin("length_v1") == "builtin"
    with pytest.raises(BadInput, match="unknown inspector 'nope_v1'"):
        plugins.origin("nope_v1")


def test_env_variable_loads_files_and_modules_in_a_fresh_process(tmp_path):
    file = write_inspector(tmp_path / "mine", "shout", "env_shout")
    write_inspector(tmp_path / "lib", "envplug_mod", "env_module")
    # a relative file path (the subprocess runs in tmp_path), a dotted module name, an empty entry
    value = os.pathsep.join(["mine/shout.py", "envplug_mod", ""])
    result = run_python(ORIGINS, tmp_path, {ENV: value, "PYTHONPATH": os.pathsep.join([str(REPO), str(tmp_path / "lib")])})
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)["origins"]
    assert found["env_shout_v1"] == f"env {ENV}: mine/shout.py"
    assert found["env_module_v1"] == f"env {ENV}: envplug_mod"
    assert {found[key] for key in BUILTINS} == {"builtin"}
    assert file.exists()


def test_add_modules_loads_now_and_sets_the_variable(isolated, tmp_path):
    file = write_inspector(tmp_path, "added", "added_shout")
    isolated.chdir(tmp_path)
    assert plugins.add_modules(["added.py"]) == [str(file.resolve())]
    assert plugins.add_modules([file]) == [str(file.resolve())]  # again: loaded once, listed once
    assert os.environ[ENV] == str(file.resolve())
    assert "added_shout_v1" in registry.registered()
    assert plugins.origin("added_shout_v1") == f"--inspector-module {file.resolve()}"
    assert plugins.origins()["length_v1"] == "builtin"
    # a process started now loads it from the variable
    result = run_python(ORIGINS, tmp_path, {ENV: os.environ[ENV]})
    assert json.loads(result.stdout)["origins"]["added_shout_v1"] == f"env {ENV}: {file.resolve()}"
    with pytest.raises(BadInput, match="inspector module missing.py does not exist"):
        plugins.add_modules(["missing.py"])
    assert os.environ[ENV] == str(file.resolve())


def test_a_broken_module_names_the_file_and_the_error(isolated, tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("import pyarrow\nraise RuntimeError('no lexicon here\\nsecond line')\n")
    with pytest.raises(BadInput) as info:
        plugins.add_modules([broken])
    message = str(info.value)
    assert str(broken.resolve()) in message and "RuntimeError: no lexicon here" in message
    assert "second line" not in message
    assert ENV not in os.environ  # a file that did not load is not handed to other processes
    syntax = tmp_path / "syntax.py"
    syntax.write_text("def (:\n")
    with pytest.raises(BadInput, match=r"syntax\.py failed to import: SyntaxError"):
        plugins.add_modules([syntax])
    # from the variable: every look-up fails with the same message until it is fixed; built-ins stay
    isolated.setenv(ENV, str(broken))
    for _ in range(2):
        with pytest.raises(BadInput, match=r"broken\.py failed to import: RuntimeError: no lexicon here"):
            registry.registered()
    isolated.setenv(ENV, "no_such_module_corpuscope")
    with pytest.raises(BadInput, match="no_such_module_corpuscope failed to import: ModuleNotFoundError"):
        registry.resolve(["length"])
    isolated.setenv(ENV, str(tmp_path / "gone.py"))
    with pytest.raises(BadInput, match=rf"gone\.py \(from \${ENV}\) does not exist"):
        registry.registered()
    isolated.delenv(ENV)
    assert BUILTINS <= set(registry.registered())


def test_a_module_that_registers_no_inspector_is_refused_naming_it(isolated, cli, tmp_path):
    """A file without an @register loaded silently, so a run then lacked the inspectors the user asked for."""
    empty = tmp_path / "empty.py"
    empty.write_text("import pyarrow\nfrom inspectors.core.registry import Inspector\n\nclass Unregistered(Inspector):\n"
                     "    name = 'unregistered'\n")
    expected = f"inspector module {empty.resolve()} registers no inspector"
    with pytest.raises(BadInput, match=re.escape(expected)):
        plugins.add_modules([empty])
    assert ENV not in os.environ  # not handed to other processes
    code, _, err = cli("inspectors", "list", "--inspector-module", empty)
    assert code == 2 and expected in err, err
    started = []
    isolated.setattr(os, "execve", lambda *args: started.append(args))
    isolated.setattr("subprocess.call", lambda *args, **kwargs: started.append(args))
    code, _, err = cli("app", "--inspector-module", empty)  # refused before the server starts
    assert code == 2 and expected in err and not started, err
    # from the variable: every look-up fails naming it; a dotted module imported earlier is not "empty"
    isolated.setenv(ENV, str(empty))
    with pytest.raises(BadInput, match=re.escape(expected)):
        registry.registered()
    isolated.setenv(ENV, "inspectors.builtin.length")
    assert BUILTINS <= set(registry.registered())


def test_broken_env_module_fails_the_command_with_the_file_named(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("1 / 0\n")
    result = run_python("from inspectors.cli import main; main()", tmp_path, {ENV: str(broken)},
                        args=("inspectors", "list"))
    assert result.returncode == 2
    assert f"inspector module {broken.resolve()} failed to import: ZeroDivisionError: division by zero" in result.stderr


def _fake_distribution(site: Path) -> None:
    """An installed plugin without pip: a dist-info folder with METADATA and entry_points.txt."""
    info = site / "fakeplug-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fakeplug\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[corpuscope.inspectors]\n"
        "fake = fakeplug_mod\n"
        "broken = brokenplug_mod\n"
        "builtin = inspectors.builtin\n"  # as corpuscope declares its own: must not load twice
    )
    write_inspector(site, "fakeplug_mod", "fake_shout")
    (site / "brokenplug_mod.py").write_text("raise ImportError('needs a GPU')\n")


def test_entry_points_load_and_a_broken_one_does_not_stop_the_rest(tmp_path):
    site = tmp_path / "site"
    _fake_distribution(site)
    env = {"PYTHONPATH": os.pathsep.join([str(REPO), str(site)])}
    result = run_python(ORIGINS, tmp_path, env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["origins"]["fake_shout_v1"] == "entry point fake (fakeplug_mod)"
    assert {data["origins"][key] for key in BUILTINS} == {"builtin"}
    assert data["problems"] == ["entry point broken (brokenplug_mod) failed to import: ImportError: needs a GPU"]
    assert "entry point broken (brokenplug_mod) failed to import" in result.stderr  # logged once
    # the command lists the plugin's inspector with its origin and shows the broken one as a warning
    result = run_python("from inspectors.cli import main; main()", tmp_path, env,
                        args=("inspectors", "list", "--format", "json"))
    assert result.returncode == 0, result.stderr
    rows = {row["inspector"]: row for row in json.loads(result.stdout)}
    assert rows["fake_shout_v1"]["origin"] == "entry point fake (fakeplug_mod)"
    assert "Warning: entry point broken (brokenplug_mod) failed to import: ImportError: needs a GPU" in result.stderr


def test_inspectors_list_with_inspector_module(isolated, cli, tmp_path):
    file = write_inspector(tmp_path, "listed", "listed_shout")
    code, out, err = cli("inspectors", "list", "--inspector-module", file, "--format", "json")
    assert code == 0, err
    rows = {row["inspector"]: row for row in json.loads(out)}
    assert rows["listed_shout_v1"]["origin"] == f"--inspector-module {file.resolve()}"
    assert set(rows["listed_shout_v1"]) == {"inspector", "name", "version", "in_force", "inputs", "outputs",
                                            "description", "origin"}
    assert rows["listed_shout_v1"]["outputs"] == ["listed_shout_share:double"]
    assert rows["length_v1"]["origin"] == "builtin"
    code, out, err = cli("inspectors", "list", "--inspector-module", file)
    assert code == 0, err
    line = next(line for line in out.splitlines() if line.startswith("listed_shout_v1"))
    assert f"--inspector-module {file.resolve()}" in line and "out: listed_shout_share:double" in line
    assert any(line.startswith("length_v1") and " builtin " in line for line in out.splitlines())
    code, out, err = cli("inspectors", "list", "--inspector-module", tmp_path / "nope.py")
    assert code == 2 and "nope.py" in err and "does not exist" in err


def probe(shard, key: str) -> dict:
    """Run in a worker: which process, and where its registry says ``key`` came from."""
    return {"pid": os.getpid(), "origin": plugins.origin(key), "shard": shard.name}


POOL = '''
import json, multiprocessing, os, sys
from pathlib import Path

from inspectors.core import executors, plugins, store
from inspectors.core.profile import profile_corpus
from inspectors.core.sources import resolve


def probe(shard, key):
    return {"pid": os.getpid(), "origin": plugins.origin(key)}


if __name__ == "__main__":
    method, module = sys.argv[1], sys.argv[2]
    multiprocessing.set_start_method(method)
    if method == "forkserver":
        from multiprocessing import forkserver
        forkserver.ensure_running()  # the server starts before the user's module is added
    plugins.load_all()
    plugins.add_modules([module])
    corpus = resolve(sys.argv[3])
    probes = list(executors.run("local", probe, corpus.shards, {"key": "pool_shout_v1"}, workers=2))
    report = profile_corpus(corpus, ["pool_shout", "length"], workers=2)
    columns = [store.read_table(store.attribute_path(s)).column_names for s in corpus.shards]
    print(json.dumps({"driver": os.getpid(), "probes": probes, "columns": columns,
                      "statuses": [r.status for r in report.results], "errors": [r.error for r in report.failed]}))
'''


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_local_pool_workers_run_the_user_inspector(tmp_path, method):
    module = write_inspector(tmp_path / "mine", "pool_shout", "pool_shout")
    script = tmp_path / "pool_run.py"
    script.write_text(POOL)
    full = {k: v for k, v in os.environ.items() if k != ENV}
    full.update(CORPUSCOPE_HOME=str(tmp_path / "home"), PYTHONPATH=str(REPO))
    result = subprocess.run([sys.executable, str(script), method, str(module), str(SAMPLE)], env=full,
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout.strip().splitlines()[-1])
    assert data["errors"] == [] and set(data["statuses"]) == {"profiled"}, data
    assert all("pool_shout_share" in names and "n_bytes" in names for names in data["columns"])
    pids = {p["pid"] for p in data["probes"]}
    assert data["driver"] not in pids and len(data["probes"]) == 6
    # a forked worker inherits the driver's registry; a fresh one loads the file from the variable
    expected = f"--inspector-module {module.resolve()}" if method == "fork" else f"env {ENV}: {module.resolve()}"
    assert {p["origin"] for p in data["probes"]} == {expected}


def test_local_pool_in_process_with_env_inspector(isolated, tmp_path, home):
    """``executors.run("local", ...)`` with 2 workers and ``profile_corpus`` from this process."""
    from inspectors.core import executors, store
    from inspectors.core.profile import profile_corpus
    from inspectors.core.sources import resolve

    module = write_inspector(tmp_path, "inproc", "inproc_shout")
    isolated.setenv(ENV, str(module))
    corpus = resolve(str(SAMPLE))
    probes = list(executors.run("local", probe, corpus.shards, {"key": "inproc_shout_v1"}, workers=2))
    assert {p["origin"] for p in probes} == {f"env {ENV}: {module.resolve()}"}
    assert os.getpid() not in {p["pid"] for p in probes}
    report = profile_corpus(corpus, ["inproc_shout"], workers=2)
    assert not report.failed and report.count("profiled") == len(corpus.shards)
    table = store.read_table(store.attribute_path(corpus.shards[0]))
    shares = table.column("inproc_shout_share").to_pylist()
    assert shares and all(0.0 <= s <= 1.0 for s in shares)


@pytest.fixture(scope="module")
def ray_session():
    """A local Ray instance (2 CPUs), started before any plugin variable is set."""
    ray = pytest.importorskip("ray")
    from inspectors.core.executors.ray import prepare_local_instance

    prepare_local_instance()
    temp = os.environ["RAY_TMPDIR"]
    Path(temp).mkdir(parents=True, exist_ok=True)
    ray.init(address="local", num_cpus=2, include_dashboard=False, _temp_dir=temp,
             logging_level="warning", log_to_driver=False)
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # ``probe`` lives in this file
    yield ray
    ray.shutdown()


def test_ray_workers_run_the_user_inspector_from_the_env(ray_session, isolated, tmp_path, home):
    from inspectors.core import store
    from inspectors.core.executors.ray import run_ray
    from inspectors.core.profile import profile_corpus
    from inspectors.core.sources import resolve

    module = write_inspector(tmp_path / "mine", "ray_shout", "ray_shout")
    isolated.chdir(tmp_path)
    isolated.setenv(ENV, os.path.join("mine", "ray_shout.py"))  # relative: forwarded as an absolute path
    corpus = resolve(str(SAMPLE))
    probes = list(run_ray(probe, corpus.shards, {"key": "ray_shout_v1"}, None, None))
    assert {p["origin"] for p in probes} == {f"env {ENV}: {module.resolve()}"}
    assert os.getpid() not in {p["pid"] for p in probes}
    report = profile_corpus(corpus, ["ray_shout", "length"], engine="ray")
    assert not report.failed, [r.error for r in report.failed]
    assert report.count("profiled") == len(corpus.shards)
    for shard in corpus.shards:
        table = pq.read_table(store.attribute_path(shard))
        assert {"ray_shout_share", "n_bytes"} <= set(table.column_names)
