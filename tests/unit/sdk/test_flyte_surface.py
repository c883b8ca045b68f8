"""flytekit's API surface in flowctl (issue 17): files, resources, images, overrides, phases, context."""

from __future__ import annotations

import os
import typing
from datetime import timedelta
from pathlib import Path
from typing import NamedTuple

import fsspec
import pytest

from flowctl import (
    Cache,
    Deck,
    Email,
    FlowFile,
    FlyteDirectory,
    FlyteFile,
    ImageSpec,
    Labels,
    LaunchPlan,
    Resources,
    Secret,
    WorkflowExecutionPhase,
    WorkflowFailurePolicy,
    current_context,
    reference_task,
    task,
    workflow,
)
from flowctl._errors import CompileError, ExecutionError, ManifestError
from flowctl._local import LocalCache, run_local
from flowctl.sdk import compile_entity, definition_of
from flowctl.spec import NodeSpec, TaskSpec, TypeSpec
from flowctl.types import from_json_value, to_json_value, type_spec_of

CSVFile = FlyteFile[typing.TypeVar("csv")]
JSONFile = FlyteFile["json"]
CALLS: dict[str, int] = {}


class Pair(NamedTuple):
    low: int
    high: int


@task
def make_csv(text: str) -> CSVFile:
    path = Path(current_context().working_directory) / "data.csv"
    path.write_text(text)
    return CSVFile(str(path))


@task
def read_csv(data: CSVFile) -> str:
    with open(data) as handle:  # os.fspath of a file: its local path
        return handle.read()


@task
def read_json(data: JSONFile) -> str:
    return data.path


@task
def any_file(data: FlyteFile) -> str:
    return FlowFile(data).path


@task(container_image=ImageSpec(name="train", registry="ghcr.io/acme", packages=["torch"]),
      resources=Resources(cpu=("1", "2"), mem="1Gi", gpu="1"), interruptible=True)
def train(x: int) -> int:
    return x


@task(retries=0, cache=True, cache_version="1")
def flaky(x: int) -> int:
    CALLS["flaky"] = CALLS.get("flaky", 0) + 1
    if CALLS["flaky"] < 3:
        raise RuntimeError("flake")
    return x * 10


@task
def split(x: int) -> Pair:
    return Pair(x - 1, x + 1)


@task
def who_am_i(x: int) -> str:
    ctx = current_context()
    Deck("summary", f"<b>{x}</b>")
    ctx.default_deck.append("<i>default</i>")
    ctx.logging.info("running %s", ctx.task_id.name)
    return f"{ctx.execution_id.project}/{ctx.task_id.name}/{ctx.node_id}/{ctx.secrets.get('db', 'password')}"


@workflow
def csv_flow(text: str) -> str:
    return read_csv(data=make_csv(text=text))


@workflow
def overridden(x: int) -> int:
    _low, high = split(x=x).with_overrides(name="split-it")
    return flaky(x=high).with_overrides(retries=2, cache=False, timeout=timedelta(minutes=1),
                                        requests=Resources(cpu="2"), container_image="ghcr.io/acme/other:1")


@workflow(failure_policy=WorkflowFailurePolicy.FAIL_AFTER_EXECUTABLE_NODES_COMPLETE)
def context_flow(x: int) -> str:
    return who_am_i(x=x)


@reference_task(project="shared", domain="production", name="features.build", version="v12")
def build_features(day: str) -> int: ...


@workflow
def with_reference(day: str) -> int:
    return build_features(day=day)


@workflow
def bad_formats(text: str) -> str:
    return read_json(data=make_csv(text=text))


@workflow
def bad_overrides(x: int) -> int:
    return flaky(x=x).with_overrides(retries=-1, colour="red")


@workflow
def cache_pinned(x: int) -> int:
    return split(x=x).with_overrides(cache=Cache(version="pinned")).low


def test_flytefile_aliases_formats_and_paths(tmp_path: Path) -> None:
    assert FlyteFile is FlowFile and FlyteDirectory.__name__ == "FlowDirectory"
    assert CSVFile.format == "csv" and FlyteFile["csv"] is CSVFile and JSONFile.format == "json"
    assert type_spec_of(CSVFile, where="x") == TypeSpec(kind="file", name="csv")
    assert str(type_spec_of(typing.List[CSVFile], where="x")) == "list[file[csv]]"  # noqa: UP006
    assert run_local(csv_flow, {"text": "a,b\n1,2\n"}).outputs == {"o0": "a,b\n1,2\n"}
    local = FlyteFile(str(tmp_path / "x.csv"))
    assert local.remote_source is None and local.download() == local.path == os.fspath(local)
    assert from_json_value(to_json_value(CSVFile("s3://b/k.csv"), CSVFile), CSVFile) == CSVFile("s3://b/k.csv")


def test_remote_files_stream_and_download_through_fsspec() -> None:
    with fsspec.open("memory://bucket/big.csv", "wb") as handle:
        handle.write(b"x\n" * 1000)
    remote = FlyteFile("memory://bucket/big.csv")
    assert remote.remote_source == "memory://bucket/big.csv" and remote.is_remote
    with remote.open("rb", block_size=64) as stream:  # fsspec options pass through
        assert stream.read(4) == b"x\nx\n"
    local = remote.download()
    assert Path(local).read_bytes() == b"x\n" * 1000 and os.fspath(remote) == local
    assert [f.path for f in FlyteDirectory("memory://bucket").listing()] == ["memory:///bucket/big.csv"]


def test_file_formats_are_checked_when_the_workflow_compiles(tmp_path: Path) -> None:
    with pytest.raises(CompileError, match=r"has type `file\[json\]`, but the output `o0` .* is `file\[csv\]`"):
        compile_entity(bad_formats)
    any_format = compile_entity(csv_flow)  # a csv file binds to an input of any format, and back
    assert any_format.workflows


def test_resources_gpu_text_pairs_image_spec_and_interruptible() -> None:
    spec = definition_of(train).spec
    assert (spec.requests.cpu, spec.limits.cpu, spec.requests.gpu, spec.limits.gpu) == ("1", "2", 1, 1)
    assert spec.requests.mem == spec.limits.mem == "1Gi"
    assert spec.interruptible is True
    image = ImageSpec(name="train", registry="ghcr.io/acme", packages=["torch"])
    assert spec.container_image == image.image_name() and spec.container_image.startswith("ghcr.io/acme/train:")
    assert spec.image_spec == {"name": "train", "registry": "ghcr.io/acme", "packages": ["torch"], "platform": "linux/amd64"}
    assert ImageSpec(name="train", packages=["torch", "numpy"]).image_name() != ImageSpec(name="train").image_name()
    assert Resources(gpu="2").to_spec().gpu == 2
    with pytest.raises(ManifestError, match="gpu must be a whole number"):
        Resources(gpu="two")
    with pytest.raises(ManifestError, match=r"only for @task\(resources=\.\.\.\)"):
        Resources(cpu=("1", "2")).to_spec()


def test_new_spec_fields_leave_existing_digests_alone() -> None:
    """A task or node without the new settings serializes exactly as before they existed."""
    plain = TaskSpec.model_validate({"name": "m.t", "interface": {}})
    assert "interruptible" not in plain.to_json() and "image_spec" not in plain.to_json()
    node = NodeSpec(id="n0", kind="task", target="m.t")
    assert set(node.to_json()) == {"id", "kind", "target", "inputs", "upstream", "outputs", "branch", "map", "source"}
    assert TaskSpec.model_validate(definition_of(train).spec.to_json()) == definition_of(train).spec


def test_with_overrides_is_recorded_per_node_and_honoured_locally(tmp_path: Path) -> None:
    nodes = compile_entity(overridden).spec.nodes
    assert nodes[0].overrides is not None and nodes[0].overrides.name == "split-it"
    over = nodes[1].overrides
    assert over is not None and (over.retries, over.cache_off, over.timeout_seconds) == (2, True, 60.0)
    assert over.requests is not None and over.requests.cpu == "2" and over.container_image == "ghcr.io/acme/other:1"
    task_spec = compile_entity(overridden).tasks["test_flyte_surface.flaky"]
    assert task_spec.retries == 0 and over.apply(task_spec).retries == 2 and over.apply(task_spec).cache is None
    CALLS.clear()
    result = run_local(overridden, {"x": 1}, cache=LocalCache(tmp_path / "cache"))
    assert result.outputs == {"o0": 20} and CALLS["flaky"] == 3  # two retries used, no cache written
    assert LocalCache(tmp_path / "cache").entries() == 0


def test_with_overrides_problems_name_the_call() -> None:
    with pytest.raises(ManifestError, match="Unknown option `colour` for @with_overrides"):
        compile_entity(bad_overrides)


def test_workflow_execution_phase_in_notifications() -> None:
    assert WorkflowExecutionPhase.FAILED == "failed" and WorkflowExecutionPhase.TIMED_OUT.terminal
    email = Email(phases=[WorkflowExecutionPhase.FAILED, WorkflowExecutionPhase.TIMED_OUT], recipients_email=["a@b.co"])
    assert email.to_spec().phases == ("failed", "timed_out")
    with pytest.raises(ManifestError, match="not a terminal phase"):
        Email(phases=[WorkflowExecutionPhase.RUNNING], recipients_email=["a@b.co"])
    lp = LaunchPlan.get_or_create(csv_flow, name="csv_lp", notifications=[email], labels=Labels({"team": "ml"}))
    assert lp.spec.notifications[0].phases == ("failed", "timed_out") and lp.spec.labels == {"team": "ml"}
    assert compile_entity(context_flow).spec.failure_policy == "fail_after_executable_nodes_complete"


def test_current_context_and_decks_in_a_local_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWCTL_SECRET_DB_PASSWORD", "s3cret")
    result = run_local(context_flow, {"x": 7})
    assert result.outputs == {"o0": "local/test_flyte_surface.who_am_i/n0/s3cret"}
    assert result.decks == {"n0": {"summary": "<b>7</b>", "default": "<i>default</i>"}}
    outside = current_context()
    assert outside.execution_id.name == "local" and Path(outside.working_directory).is_dir()


def test_secrets_follow_the_declared_env_var_and_say_how_to_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    from flowctl._errors import InputError
    from flowctl.sdk import ExecutionParameters
    from flowctl.sdk._context import ExecutionId, SecretsManager, TaskId

    params = ExecutionParameters(ExecutionId("p", "d", "x"), TaskId("p", "d", "t", "v"),
                                 secrets=SecretsManager([Secret(group="api", key="token", env_var="API_TOKEN")]))
    monkeypatch.setenv("API_TOKEN", "abc")
    assert params.secrets.get("api", "token") == "abc"
    with pytest.raises(InputError, match="FLOWCTL_SECRET_DB_USER") as info:
        params.secrets.get("db", "user")
    assert "secret_requests=[Secret(group='db', key='user')]" in str(info.value)


def test_reference_tasks_compile_to_references_and_refuse_to_run_locally() -> None:
    compiled = compile_entity(with_reference)
    node = compiled.spec.nodes[0]
    assert node.reference is not None and (node.reference.project, node.reference.version) == ("shared", "v12")
    assert node.target == "features.build" and compiled.tasks == {}  # nothing of it is registered here
    assert [i.name for i in node.reference.interface.inputs] == ["day"]
    with pytest.raises(ExecutionError, match=r"reference task `features\.build` .* cannot run locally"):
        run_local(with_reference, {"day": "2026-01-01"})


def test_cache_override_to_on_derives_a_version() -> None:
    compiled = compile_entity(cache_pinned)
    assert compiled.spec.nodes[0].overrides is not None
    assert compiled.spec.nodes[0].overrides.cache is not None and compiled.spec.nodes[0].overrides.cache.version == "pinned"
