"""The glibc malloc tuning: applied by the CLI, pool workers and owned Ray workers, nowhere else.

Every check runs in a new interpreter, so this test process's allocator is never changed by them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO

GLIBC = sys.platform.startswith("linux") and bool(getattr(os, "confstr", lambda _: "")("CS_GNU_LIBC_VERSION"))


def run(code: str, **env: str) -> dict:
    """``code`` in a new interpreter with this tree first on the path; its last line of stdout as JSON."""
    environ = {k: v for k, v in os.environ.items() if k != "CORPUSCOPE_MALLOC_TUNING"}
    environ.update(PYTHONPATH=str(REPO), **env)
    out = subprocess.run([sys.executable, "-c", code], env=environ, cwd=REPO, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.splitlines()[-1])


def test_opt_out_makes_it_a_no_op():
    got = run("import json; from inspectors.core import allocator\n"
              "print(json.dumps([allocator.tune_allocator(), allocator.applied()]))",
              CORPUSCOPE_MALLOC_TUNING="0")
    assert got == [False, False]


@pytest.mark.skipif(not GLIBC, reason="the tuning is glibc's mallopt")
def test_applied_on_glibc_and_only_once():
    got = run("import json; from inspectors.core import allocator\n"
              "before = allocator.applied()\n"
              "print(json.dumps([before, allocator.tune_allocator(), allocator.applied(), allocator.tune_allocator()]))")
    assert got == [False, True, True, True]


def test_importing_and_library_calls_leave_the_allocator_alone():
    # The CLI module, the executors and a whole inline scan in the user's own process: no tuning.
    got = run("import json, os, tempfile\n"
              "os.environ['CORPUSCOPE_HOME'] = tempfile.mkdtemp()\n"
              "import inspectors.cli, inspectors.core.executors.local, inspectors.core.executors.ray\n"
              "from inspectors.contamination.bench import load_bench\n"
              "from inspectors.contamination.run import run_contamination\n"
              "from inspectors.core.run import RunOptions, resolve_corpus\n"
              "from inspectors.core import allocator\n"
              "folder = tempfile.mkdtemp()\n"
              "open(folder + '/b.jsonl', 'w').write(json.dumps({'id': 'q', 'question': 'one two three four five six seven eight nine', 'answer': ''}) + '\\n')\n"
              "run_contamination(load_bench(folder + '/b.jsonl'), resolve_corpus('sample_data/demo/flat'), options=RunOptions(workers=1))\n"
              "print(json.dumps(allocator.applied()))")
    assert got is False


@pytest.mark.skipif(not GLIBC, reason="the tuning is glibc's mallopt")
@pytest.mark.parametrize("opt_out, expected", [(None, True), ("0", False)])
def test_the_cli_entry_point_applies_it(opt_out, expected):
    code = ("import json, tempfile, os\n"
            "os.environ['CORPUSCOPE_HOME'] = tempfile.mkdtemp()\n"
            "from inspectors.cli import main\n"
            "from inspectors.core import allocator\n"
            "main(['inspectors', 'list'], standalone_mode=False)\n"
            "print(json.dumps(allocator.applied()))")
    assert run(code, **({"CORPUSCOPE_MALLOC_TUNING": opt_out} if opt_out else {})) is expected


WORKER_PROBE = """
import json
from inspectors.core import allocator
from inspectors.core.executors.local import run_local

def probe(shard):
    from inspectors.core import allocator
    return allocator.applied()

if __name__ == "__main__":
    import multiprocessing
    multiprocessing.set_start_method("{method}")
    print(json.dumps([sorted(set(run_local(probe, [1, 2], {{}}, workers=2))), allocator.applied()]))
"""


@pytest.mark.skipif(not GLIBC, reason="the tuning is glibc's mallopt")
@pytest.mark.parametrize("opt_out, expected", [(None, [True]), ("0", [False])])
def test_pool_workers_apply_it_and_the_driver_does_not(tmp_path, opt_out, expected):
    script = tmp_path / "probe.py"
    script.write_text(WORKER_PROBE.format(method="spawn"))
    environ = {k: v for k, v in os.environ.items() if k != "CORPUSCOPE_MALLOC_TUNING"}
    environ.update(PYTHONPATH=str(REPO), **({"CORPUSCOPE_MALLOC_TUNING": opt_out} if opt_out else {}))
    out = subprocess.run([sys.executable, str(script)], env=environ, cwd=tmp_path, check=True,
                         capture_output=True, text=True).stdout
    assert json.loads(out.splitlines()[-1]) == [expected, False]


@pytest.mark.skipif(not GLIBC, reason="the tuning is glibc's mallopt")
@pytest.mark.parametrize("own, opt_out, expected", [(True, None, True), (False, None, False), (True, "0", False)])
def test_ray_tasks_tune_only_workers_of_a_session_the_run_started(own, opt_out, expected):
    # The task body itself, without Ray: the driver's forwarded environment decides the opt-out.
    code = ("import json\n"
            "from inspectors.core.executors.ray import _call\n"
            "from inspectors.core import allocator\n"
            f"env = {{'CORPUSCOPE_MALLOC_TUNING': {opt_out!r}}}\n"
            f"print(json.dumps(_call(None, (lambda shard: allocator.applied(), {{}}, env, {own!r}))))")
    assert run(code) is expected
