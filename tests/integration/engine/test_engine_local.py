"""The controller with the local provider: real subprocess attempts, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from engine_support import DOMAIN, PROJECT, bundle, flows, local_context, register, run_until_done

from flowctl.engine import Controller, EngineContext, abort, launch, recover

Env = tuple[str, str, EngineContext]


def make_env(tmp_path: Path, url: str) -> Env:
    blob_url = str(tmp_path / "blobs")
    return url, bundle(tmp_path / "src", blob_url), local_context(url, blob_url, tmp_path)


@pytest.fixture
def env(tmp_path: Path, sqlite_url: str) -> Env:
    """Most scenarios run on SQLite here; the end-to-end CLI tests cover PostgreSQL with processes."""
    return make_env(tmp_path, sqlite_url)


def test_chain_succeeds_with_outputs_and_logs(tmp_path: Path, registry_url: str) -> None:
    url, uri, ctx = make_env(tmp_path, registry_url)
    register(url, [flows.chain], bundle_uri=uri)
    execution = launch(ctx.store, PROJECT, DOMAIN, "flows.chain", {"a": 2, "b": 3})
    done = run_until_done(ctx, execution.id)
    assert done.phase == "succeeded", done.error
    assert done.outputs == {"o0": 10}
    nodes = ctx.store.load_nodes(execution.id)
    assert [nodes[n].phase for n in ("n0", "n1")] == ["succeeded", "succeeded"]
    log_uri = ctx.store.load_attempts(execution.id)["n0"][0].log_uri
    assert log_uri and "adding 2 and 3" in Path(log_uri).read_text()


def test_user_error_fails_with_traceback(env: Env) -> None:
    url, uri, ctx = env
    register(url, [flows.failing], bundle_uri=uri)
    done = run_until_done(ctx, launch(ctx.store, PROJECT, DOMAIN, "flows.failing", {"x": 7}).id)
    assert done.phase == "failed"
    assert done.error is not None and done.error["kind"] == "user"
    assert "boom 7" in done.error["message"] and "ValueError" in done.error["traceback"]


def test_retry_then_success_and_timeout(env: Env, tmp_path: Path) -> None:
    url, uri, ctx = env
    register(url, [flows.retrying, flows.timing_out], bundle_uri=uri)
    e1 = launch(ctx.store, PROJECT, DOMAIN, "flows.retrying", {"x": 4, "marker": str(tmp_path / "m")})
    e2 = launch(ctx.store, PROJECT, DOMAIN, "flows.timing_out", {})
    started = time.monotonic()
    assert run_until_done(ctx, e1.id).outputs == {"o0": 4}
    assert [a.phase for a in ctx.store.load_attempts(e1.id)["n0"]] == ["failed", "succeeded"]
    done = run_until_done(ctx, e2.id)
    assert done.phase == "timed_out" and time.monotonic() - started < 15
    assert ctx.store.load_attempts(e2.id)["n0"][0].phase == "timed_out"


def test_an_attempt_that_cannot_save_its_result_is_retried_with_the_reason(
        env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk takes attempt 0's outputs.json and error.json: the controller records a system
    failure naming them, and the task's retry runs (the disk has room again for attempt 1)."""
    url, uri, ctx = env
    register(url, [flows.retrying], bundle_uri=uri)
    (tmp_path / "m").write_text("no failure of its own")
    monkeypatch.setenv("FLOWCTL_TEST_WRITE_ERROR", "ENOSPC:/n0/0/outputs.json,/n0/0/error.json")
    monkeypatch.setenv("FLOWCTL_LOCAL_ENV_ALLOW", "FLOWCTL_TEST_WRITE_ERROR")
    execution = launch(ctx.store, PROJECT, DOMAIN, "flows.retrying", {"x": 4, "marker": str(tmp_path / "m")})
    assert run_until_done(ctx, execution.id).outputs == {"o0": 4}
    first, second = ctx.store.load_attempts(execution.id)["n0"]
    assert (first.phase, first.error_kind, second.phase) == ("failed", "system", "succeeded")
    assert first.message is not None and "flowctl: Cannot write the task error document to " in first.message
    assert "No space left on device (ENOSPC); the attempt's result is lost" in first.message


def test_cache_hit_miss_and_overwrite(env: Env, tmp_path: Path) -> None:
    url, uri, ctx = env
    counter = tmp_path / "count.txt"
    register(url, [flows.cached], bundle_uri=uri)
    hits = []
    for x, overwrite in ((1, False), (1, False), (2, False), (1, True)):
        execution = launch(ctx.store, PROJECT, DOMAIN, "flows.cached", {"x": x, "counter": str(counter)},
                           overwrite_cache=overwrite)
        assert run_until_done(ctx, execution.id).outputs == {"o0": x + 1}
        hits.append(ctx.store.load_nodes(execution.id)["n0"].cache_hit)
    assert hits == [False, True, False, False]
    assert len(counter.read_text().splitlines()) == 3
    # scoped per project/domain: another domain does not see the entries
    register(url, [flows.cached], bundle_uri=uri, domain="staging")
    other = launch(ctx.store, PROJECT, "staging", "flows.cached", {"x": 1, "counter": str(counter)})
    run_until_done(ctx, other.id)
    assert ctx.store.load_nodes(other.id)["n0"].cache_hit is False


def test_abort_kills_running_attempt(env: Env, tmp_path: Path) -> None:
    url, uri, ctx = env
    counter = tmp_path / "count.txt"
    register(url, [flows.long_running], bundle_uri=uri)
    execution = launch(ctx.store, PROJECT, DOMAIN, "flows.long_running", {"x": 1, "counter": str(counter), "seconds": 30})
    controller = Controller(ctx, schedules=False, notifications=False)
    end = time.monotonic() + 20
    while time.monotonic() < end:
        controller.step()
        attempts = ctx.store.load_attempts(execution.id).get("n1", [])
        if attempts and attempts[-1].phase == "running":
            break
        time.sleep(0.05)
    handle = ctx.store.load_attempts(execution.id)["n1"][-1].handle
    assert handle is not None
    abort(ctx.store, execution.name)
    done = run_until_done(ctx, execution.id, timeout=10)
    assert done.phase == "aborted"
    assert ctx.store.load_attempts(execution.id)["n1"][-1].phase == "aborted"
    pid = int(handle.split(":")[0])
    time.sleep(0.1)
    assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split(")")[1][:3]


def test_recover_reuses_succeeded_nodes(env: Env, tmp_path: Path) -> None:
    url, uri, ctx = env
    counter = tmp_path / "count.txt"
    register(url, [flows.two_steps], bundle_uri=uri)
    inputs = {"x": 5, "counter": str(counter), "marker": str(tmp_path / "mk")}
    first = run_until_done(ctx, launch(ctx.store, PROJECT, DOMAIN, "flows.two_steps", inputs).id)
    assert first.phase == "failed"
    second = run_until_done(ctx, recover(ctx.store, first.name).id)
    assert second.phase == "succeeded" and second.outputs == {"o0": 6}
    assert len(counter.read_text().splitlines()) == 1  # n0 ran once, in the first execution
    assert ctx.store.load_attempts(second.id).keys() == {"n1"}
