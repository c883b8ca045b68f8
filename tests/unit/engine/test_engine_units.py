"""Pure pieces of the engine: DAG helpers, inputs, names, cache keys, bundles, clocks, entrypoint docs."""

from __future__ import annotations

import io
import tarfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from flowctl import _blobstore as blobs
from flowctl._bundle import create_bundle, list_sources
from flowctl._bundle_fetch import fetch_bundle
from flowctl._dag import choose_case, collect_map_outputs, evaluate, map_items, resolve, topological_order
from flowctl._errors import InputError
from flowctl.engine._cache import cache_key
from flowctl.engine._clock import FileClock, ManualClock, parse_instant
from flowctl.engine._names import child_name, random_name, scheduled_name
from flowctl.entrypoint import EntrypointArgs, error_uri, run
from flowctl.spec import (
    BranchCaseSpec,
    BranchSpec,
    CacheSpec,
    ComparisonSpec,
    ConjunctionSpec,
    InputSpec,
    InterfaceSpec,
    LaunchPlanSpec,
    ListBinding,
    LiteralBinding,
    NodeSpec,
    OutputSpec,
    PromiseBinding,
    TaskSpec,
    TypeSpec,
    WorkflowSpec,
)
from flowctl.types._inputs import merge_inputs, parse_input_text, read_inputs

INT, STR = TypeSpec(kind="int"), TypeSpec(kind="str")
LIST_INT = TypeSpec(kind="list", args=(INT,))


def test_topological_order_and_resolve() -> None:
    nodes = (
        NodeSpec(id="b", kind="task", target="t", inputs={"x": PromiseBinding(node="a", output="o0")}),
        NodeSpec(id="a", kind="task", target="t", inputs={"x": PromiseBinding(node="start", output="x")}),
        NodeSpec(id="c", kind="task", target="t", upstream=("b",)),
    )
    wf = WorkflowSpec(name="w", interface=InterfaceSpec(), nodes=nodes)
    assert [n.id for n in topological_order(wf)] == ["a", "b", "c"]
    binding = ListBinding(items=(PromiseBinding(node="a", output="o0"), LiteralBinding(value=3)))
    assert resolve(binding, {"a": {"o0": 1}}) == [1, 3]


def test_conditions_and_cases() -> None:
    gt = ComparisonSpec(op=">", left=PromiseBinding(node="a", output="o0"), right=LiteralBinding(value=5))
    none = ComparisonSpec(op="is_none", left=PromiseBinding(node="a", output="o1"))
    both = ConjunctionSpec(op="and", left=gt, right=none)
    assert evaluate(both, {"a": {"o0": 6, "o1": None}}) is True
    assert evaluate(both, {"a": {"o0": 6, "o1": 1}}) is False
    branch = BranchSpec(name="b", cases=(BranchCaseSpec(condition=gt, fail="too big"), BranchCaseSpec(fail="else")))
    assert choose_case(branch, {"a": {"o0": 1}}) == (1, branch.cases[1])


def test_map_items_split_and_collect() -> None:
    target = InterfaceSpec(inputs=(InputSpec(name="x", type=INT), InputSpec(name="ys", type=LIST_INT)))
    assert map_items({"x": [1, 2], "ys": [9]}, target) == [{"x": 1, "ys": [9]}, {"x": 2, "ys": [9]}]
    with pytest.raises(ValueError, match="different lengths"):
        map_items({"x": [1, 2], "ys": [[1], [2], [3]]}, target)
    assert collect_map_outputs(["o0"], [{"o0": 1}, None]) == {"o0": [1, None]}


def test_merge_inputs_reports_every_problem() -> None:
    interface = InterfaceSpec(inputs=(InputSpec(name="a", type=INT), InputSpec(name="b", type=INT),
                                      InputSpec(name="c", type=STR, has_default=True, default="x")))
    lp = LaunchPlanSpec(name="lp", workflow="w", default_inputs={"a": 1}, fixed_inputs={"b": 2})
    assert merge_inputs(interface, {}, launch_plan=lp) == {"a": 1, "b": 2, "c": "x"}
    with pytest.raises(InputError) as caught:
        merge_inputs(interface, {"b": 3, "d": 1, "a": "no"}, launch_plan=lp)
    text = caught.value.render()
    assert "fixed by launch plan `lp`" in text and "Unknown input `d`" in text and "input `a`" in text
    with pytest.raises(InputError, match="Missing required input `a`"):
        merge_inputs(interface, {})


def test_cli_values_by_type() -> None:
    interface = InterfaceSpec(inputs=(InputSpec(name="n", type=INT), InputSpec(name="s", type=STR),
                                      InputSpec(name="xs", type=LIST_INT)))
    assert read_inputs(interface, args=["--n", "3", "--s=007", "--xs", "[1,2]"]) == {"n": 3, "s": "007", "xs": [1, 2]}
    assert parse_input_text("true", TypeSpec(kind="bool"), name="b") is True
    with pytest.raises(InputError):
        read_inputs(interface, args=["--n"])


def test_names_are_deterministic_where_they_must_be() -> None:
    t = datetime(2026, 1, 1, 9, tzinfo=UTC)
    assert scheduled_name("nightly.lp", t) == scheduled_name("nightly.lp", t) != scheduled_name("nightly.lp", t.replace(hour=10))
    assert len(scheduled_name("x" * 200, t)) <= 63 and len(child_name("e" * 40, "n0/n1[3]")) <= 63
    assert random_name() != random_name() and len(random_name()) == 20


def test_cache_key_ignores_ignored_inputs() -> None:
    task = TaskSpec(name="t", interface=InterfaceSpec(outputs=(OutputSpec(name="o0", type=INT),)),
                    cache=CacheSpec(version="1", ignored_inputs=("log",)))
    assert cache_key(task, {"x": 1, "log": "a"}) == cache_key(task, {"x": 1, "log": "b"}) != cache_key(task, {"x": 2})
    bumped = task.model_copy(update={"cache": CacheSpec(version="2", ignored_inputs=("log",))})
    assert cache_key(bumped, {"x": 1}) != cache_key(task, {"x": 1})


def test_bundle_is_content_addressed_and_respects_ignores(tmp_path: Path) -> None:
    root = tmp_path / "src"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "a.py").write_text("A = 1\n")
    (root / ".venv").mkdir()
    (root / ".venv" / "junk.py").write_text("")
    (root / "__pycache__").mkdir()
    (root / "__pycache__" / "x.pyc").write_bytes(b"")
    assert list_sources(root) == ["pkg/a.py"]
    uri = create_bundle(root, str(tmp_path / "blobs"))
    assert create_bundle(root, str(tmp_path / "blobs")) == uri
    (root / "pkg" / "a.py").write_text("A = 2\n")
    changed = create_bundle(root, str(tmp_path / "blobs"))
    assert changed != uri
    dest = fetch_bundle(uri, tmp_path / "cache" / "one")
    assert (dest / "pkg" / "a.py").read_text() == "A = 1\n"
    with tarfile.open(fileobj=io.BytesIO(blobs.read_bytes(uri))) as tar:
        assert {m.mtime for m in tar.getmembers()} == {0}


def test_clocks(tmp_path: Path) -> None:
    path = tmp_path / "clock"
    clock = FileClock(path)
    assert abs((clock.now() - datetime.now(UTC)).total_seconds()) < 5
    path.write_text("2026-01-01T09:00:00Z")
    assert clock.now() == datetime(2026, 1, 1, 9, tzinfo=UTC)
    manual = ManualClock(parse_instant("2026-01-01T00:00:00"))
    manual.advance(90)
    assert manual.now() == datetime(2026, 1, 1, 0, 1, 30, tzinfo=UTC)


def test_entrypoint_writes_an_error_document_for_system_failures(tmp_path: Path) -> None:
    outputs = str(tmp_path / "a" / "outputs.json")
    code = run(EntrypointArgs(str(tmp_path / "missing.json"), str(tmp_path / "in.json"), outputs, None, str(tmp_path)))
    doc = blobs.read_json(error_uri(outputs))
    assert code == 2 and doc["kind"] == "system" and doc["retryable"] is True
    assert set(doc) == {"kind", "code", "message", "traceback", "retryable"}
