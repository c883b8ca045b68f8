"""Issue 17 through the controller: real attempt processes on SQLite and PostgreSQL.

Gates keep waiting across a controller restart and continue when signalled; data frames travel as
Parquet in the blob store; tasks see their current_context and save decks; with_overrides and
reference tasks are honoured by the engine.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))
ROOT = Path(__file__).parent / "flyte_root"
sys.path.insert(0, str(ROOT))

import flyteflows  # noqa: E402
from engine_support import DOMAIN, PROJECT, local_context, register  # noqa: E402

from flowctl._bundle import create_bundle  # noqa: E402
from flowctl._errors import InputError  # noqa: E402
from flowctl.engine import Controller, EngineContext, launch  # noqa: E402
from flowctl.engine._gates import send_signal  # noqa: E402
from flowctl.engine._specs import SpecLoader  # noqa: E402
from flowctl.state._executions import ExecutionRecord  # noqa: E402

Env = tuple[str, str, EngineContext]


def make_env(tmp_path: Path, url: str) -> Env:
    blob_url = str(tmp_path / "blobs")
    source = tmp_path / "src"
    source.mkdir()
    shutil.copy(ROOT / "flyteflows.py", source / "flyteflows.py")
    return url, create_bundle(source, blob_url), local_context(url, blob_url, tmp_path)


@pytest.fixture
def env(tmp_path: Path, sqlite_url: str) -> Env:
    return make_env(tmp_path, sqlite_url)


def drive(ctx: EngineContext, execution_id: str, *, until: str = "terminal", timeout: float = 60) -> ExecutionRecord:
    """Step a controller until the execution is terminal (or, ``until="waiting"``, until only gates remain)."""
    controller = Controller(ctx, schedules=False, notifications=False)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        controller.step()
        found = ctx.store.get_execution(execution_id)
        assert found is not None
        if found.terminal:
            controller.shutdown()
            return found
        if until == "waiting" and _only_gates_left(ctx, execution_id):
            controller.shutdown()
            return found
        time.sleep(0.02)
    raise AssertionError(f"execution did not get there: {ctx.store.get_execution(execution_id)}")


def _only_gates_left(ctx: EngineContext, execution_id: str) -> bool:
    nodes = ctx.store.load_nodes(execution_id)
    attempts = ctx.store.load_attempts(execution_id)
    return "n0" in nodes and nodes["n0"].phase == "succeeded" and not any(a[-1].active for a in attempts.values())


def test_gates_wait_across_a_restart_and_continue_when_signalled(tmp_path: Path, registry_url: str) -> None:
    url, uri, ctx = make_env(tmp_path, registry_url)
    register(url, [flyteflows.gated], bundle_uri=uri)
    execution = launch(ctx.store, PROJECT, DOMAIN, "flyteflows.gated", {"x": 7})
    waiting = drive(ctx, execution.id, until="waiting")
    assert waiting.phase == "running"
    gates = {n: r.phase for n, r in ctx.store.load_nodes(execution.id).items() if n != "n0"}
    assert gates == {"n1": "running", "n2": "running"}  # both gates wait; nothing else could start
    ctx.store.close()

    restarted = local_context(url, str(tmp_path / "blobs"), tmp_path)  # a new controller process
    assert drive(restarted, execution.id, until="waiting").phase == "running"
    specs = SpecLoader(restarted.store)
    with pytest.raises(InputError, match="has no gate waiting for `thresh`") as info:
        send_signal(restarted.store, specs, waiting, "thresh", "0.5")
    assert "ship-it, threshold" in str(info.value)
    with pytest.raises(InputError, match="not a valid `float`"):
        send_signal(restarted.store, specs, waiting, "threshold", '"high"')
    with pytest.raises(InputError, match="is not an approval"):
        send_signal(restarted.store, specs, waiting, "threshold", "yes", approve=True)
    given = CliRunner().invoke(_app(), ["executions", "signal", execution.name, "threshold", "0.5", "--registry", url])
    assert given.exit_code == 0, given.output
    with pytest.raises(InputError, match="already given"):
        send_signal(restarted.store, specs, waiting, "threshold", "0.6")
    result = CliRunner().invoke(_app(), ["executions", "approve", execution.name, "ship-it", "--registry", url])
    assert result.exit_code == 0, result.output
    done = drive(restarted, execution.id)
    assert done.phase == "succeeded", done.error
    assert done.outputs == {"o0": "0.7 >= 0.5"}
    with pytest.raises(InputError, match="no longer wait"):
        send_signal(restarted.store, specs, done, "ship-it", "yes")


def test_a_rejected_approval_fails_and_an_unanswered_gate_times_out(env: Env) -> None:
    url, uri, ctx = env
    register(url, [flyteflows.gated, flyteflows.impatient], bundle_uri=uri)
    rejected = launch(ctx.store, PROJECT, DOMAIN, "flyteflows.gated", {"x": 1})
    drive(ctx, rejected.id, until="waiting")
    specs = SpecLoader(ctx.store)
    send_signal(ctx.store, specs, rejected, "threshold", "0.5")
    send_signal(ctx.store, specs, rejected, "ship-it", "no", actor="ana", approve=True)
    failed = drive(ctx, rejected.id)
    assert failed.phase == "failed" and failed.error is not None
    assert failed.error["code"] == "USER:ApprovalRejected" and "rejected by ana" in failed.error["message"]
    late = drive(ctx, launch(ctx.store, PROJECT, DOMAIN, "flyteflows.impatient", {}).id)
    assert late.phase == "timed_out" and late.error is not None and "nobody answered `quick`" in late.error["message"]


def test_sleep_gates_hold_their_successors(env: Env) -> None:
    url, uri, ctx = env
    register(url, [flyteflows.napping], bundle_uri=uri)
    execution = launch(ctx.store, PROJECT, DOMAIN, "flyteflows.napping", {})
    done = drive(ctx, execution.id)
    assert done.phase == "succeeded" and done.outputs == {"o0": 1}
    nodes = ctx.store.load_nodes(execution.id)
    nap, task = nodes["n0"], nodes["n1"]
    assert nap.finished_at is not None and task.started_at is not None and task.started_at >= nap.finished_at


def test_data_frames_travel_as_parquet_in_the_blob_store(env: Env, tmp_path: Path) -> None:
    url, uri, ctx = env
    register(url, [flyteflows.frames], bundle_uri=uri)
    execution = launch(ctx.store, PROJECT, DOMAIN, "flyteflows.frames", {})
    done = drive(ctx, execution.id)
    assert done.phase == "succeeded", done.error
    assert done.outputs == {"o0": True, "o1": ["visits"]}  # exact round trip in the consumer's process
    produced = ctx.store.load_nodes(execution.id)["n0"].outputs
    assert produced is not None
    location = str(produced["o0"])
    assert location.startswith(str(tmp_path / "blobs")) and "/n0/0/frames/" in location and location.endswith(".parquet")


def test_tasks_see_their_context_and_save_decks(env: Env) -> None:
    url, uri, ctx = env
    register(url, [flyteflows.reporting], bundle_uri=uri, version="v7")
    execution = launch(ctx.store, PROJECT, DOMAIN, "flyteflows.reporting", {"x": 3})
    done = drive(ctx, execution.id)
    assert done.outputs == {"o0": f"{execution.name}|n0|0|v7"}
    listing = CliRunner().invoke(_app(), ["executions", "show", execution.name, "--deck", "--registry", url])
    assert listing.exit_code == 0, listing.output
    assert listing.stdout.startswith("n0\t") and listing.stdout.strip().endswith("/n0/0/deck.html")
    page = CliRunner().invoke(_app(), ["executions", "show", execution.name, "--deck", "--node", "n0", "--registry", url])
    assert "<h2>summary</h2>" in page.stdout and "<p>x is 3</p>" in page.stdout
    missing = CliRunner().invoke(_app(), ["executions", "show", execution.name, "--deck", "--node", "n9", "--registry", url])
    assert missing.exit_code == 1 and "has no report" in (missing.stderr or str(missing.exception))


def test_overrides_and_references_are_honoured_by_the_engine(env: Env, tmp_path: Path) -> None:
    url, uri, ctx = env
    register(url, [flyteflows.overridden], bundle_uri=uri)
    register(url, [flyteflows.propose, flyteflows.reporting], bundle_uri=uri, project="shared", domain="production",
             version="v1")
    register(url, [flyteflows.uses_reference, flyteflows.uses_reference_lp], bundle_uri=uri, version="v2")
    marker = tmp_path / "marker"
    retried = drive(ctx, launch(ctx.store, PROJECT, DOMAIN, "flyteflows.overridden", {"marker": str(marker)}).id)
    assert retried.phase == "succeeded" and retried.outputs == {"o0": 3}  # the task itself has retries=0
    referenced = drive(ctx, launch(ctx.store, PROJECT, DOMAIN, "flyteflows.uses_reference", {"x": 4}).id)
    assert referenced.phase == "succeeded", referenced.error
    assert referenced.outputs == {"o0": 0.4}
    parent = drive(ctx, launch(ctx.store, PROJECT, DOMAIN, "flyteflows.uses_reference_lp", {"x": 5}).id)
    assert parent.phase == "succeeded", parent.error
    child = ctx.store.children(parent.id)[0]  # a child execution of the referenced launch plan, where it lives
    assert (child.project, child.domain, child.launch_plan_version) == ("shared", "production", "v1")
    assert parent.outputs == {"o0": f"{child.name}|n0|0|v1"}


def _app() -> object:
    from flowctl.cli import _register_commands, app

    if not app.registered_groups:
        _register_commands()
    return app
