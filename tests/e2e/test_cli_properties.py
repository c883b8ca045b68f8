"""Property-based: whatever a user types or declares, flowctl ends in success or a diagnostic.

Inputs on the command line (every type, any text, any JSON), numeric and closed-set options, and
manifest values (project, domain and launch plan names, versions, labels, schedules, time zones,
resources, default inputs): the only allowed outcomes are exit 0, 1 or 2 with no traceback,
never the internal error (exit 70). Commands run in-process (tests/e2e/cli_support.py) with a
bounded number of examples, so the file takes seconds.
"""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path
from typing import Any

import pytest
from cli_support import Result, invoke
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SETTINGS = settings(max_examples=20, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

FLOWS = textwrap.dedent('''
    import datetime
    from dataclasses import dataclass
    from enum import Enum
    from typing import Optional

    from flowctl import task


    class Color(Enum):
        RED = "red"
        BLUE = "blue"


    @dataclass
    class Point:
        x: float
        y: float = 0.0


    @task
    def echo(i: int, f: float, s: str, b: bool, xs: list[float], m: dict[str, int], p: Point,
             o: Optional[int], t: datetime.datetime, c: Color) -> str:
        return "ok"
''')
INPUTS = ("i", "f", "s", "b", "xs", "m", "p", "o", "t", "c")
VALID = {"i": "1", "f": "1.5", "s": "x", "b": "true", "xs": "[1.0]", "m": '{"a": 1}', "p": '{"x": 1}',
         "o": "null", "t": "2026-01-01T00:00:00", "c": "red"}


def check(result: Result, *codes: int) -> None:
    allowed = codes or (0, 1, 2)
    assert result.code in allowed, f"exit {result.code}\n{result.stdout}\n{result.stderr}"
    assert "Traceback (most recent call last)" not in result.output, result.output
    assert "internal error" not in result.output, result.output


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("props")
    (folder / "prop_flows.py").write_text(FLOWS)
    (folder / "empty").mkdir()  # plan and apply there: no manifest, so nothing is ever applied
    return folder


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def _json_text(value: Any) -> str:
    return json.dumps(value, allow_nan=True)  # NaN and Infinity literals included, on purpose


@SETTINGS
@given(name=st.sampled_from(INPUTS), text=st.text(max_size=60) | json_values.map(_json_text),
       how=st.sampled_from(["option", "equals", "assignment"]))
def test_any_input_text_is_a_result_or_a_diagnostic(workdir: Path, name: str, text: str, how: str) -> None:
    given_inputs = [f"--{k}={v}" for k, v in VALID.items() if k != name]
    if how == "option":
        given_inputs += [f"--{name}", text]
    elif how == "equals":
        given_inputs.append(f"--{name}={text}")
    else:
        given_inputs += ["-i", f"{name}={text}"]
    check(invoke("run", "prop_flows.py", "echo", *given_inputs, cwd=workdir))


@SETTINGS
@given(document=st.dictionaries(st.sampled_from([*INPUTS, "zz"]), json_values, max_size=6),
       form=st.sampled_from(["json", "yaml"]))
def test_any_inputs_file_is_a_result_or_a_diagnostic(workdir: Path, document: dict[str, Any], form: str) -> None:
    import yaml

    path = workdir / f"inputs.{form}"
    path.write_text(_json_text(document) if form == "json" else yaml.safe_dump(document, allow_unicode=True))
    check(invoke("run", "prop_flows.py", "echo", "--inputs", str(path), cwd=workdir))


@SETTINGS
@given(
    option=st.sampled_from([
        ("executions", "list", "--limit"), ("executions", "list", "--phase"), ("get", "executions", "--limit"),
        ("controller", "--once", "--no-schedules", "--slots"), ("controller", "--once", "--no-schedules",
                                                                "--poll-interval"),
        ("controller", "--once", "--no-schedules", "--lease-seconds"), ("lock", "list", "-o"),
        ("apply", "--auto-approve", "--lock-timeout"), ("plan", "-o"),
    ]),
    value=st.text(max_size=25) | st.integers().map(str) | st.floats().map(str)
    | st.sampled_from(["nan", "inf", "-1", "0", "1e20", "1e400", "10" * 20]),
)
def test_any_option_value_is_a_result_or_a_diagnostic(workdir: Path, option: tuple[str, ...], value: str) -> None:
    registry = f"sqlite:///{workdir / 'options.db'}"
    check(invoke(*option, value, "--registry", registry, cwd=workdir / "empty" if option[0] in ("plan", "apply")
                 else workdir))


names = st.text(max_size=30) | st.from_regex(r"[a-z][a-z0-9-]{0,70}", fullmatch=True)
crons = (st.text(max_size=20) | st.sampled_from(["@daily", "0 0 * * *", "0 0 31 2 *", "61 * * * *", "* * * *"])
         | st.lists(st.sampled_from(["*", "0", "59", "60", "*/0", "1-5", "5-1", "mon", "L", "?", "1#2", "a", "31",
                                     "2", "feb"]), min_size=5, max_size=5).map(" ".join))
quantities = st.text(max_size=10) | st.sampled_from(["500m", "2Gi", "-1", "1e3", "0.5", "2 Gi"]) | st.integers()
zones = st.text(max_size=20) | st.sampled_from(["UTC", "Europe/Paris", "Mars/Olympus", "../../etc/passwd"])
VALID_MANIFEST = {"project": "p", "domain": "staging", "lp": "nightly", "version": "v1", "label_key": "team",
                  "label_value": "ml", "cron": "0 0 * * *", "zone": "UTC", "cpu": "1", "mem": "1Gi", "default": 1.0}


def _plan_manifest(workdir: Path, **values: Any) -> Result:
    v = {**VALID_MANIFEST, **values}
    folder = workdir / "manifest"
    folder.mkdir(exist_ok=True)
    (folder / "prop_manifest.py").write_text(textwrap.dedent(f'''
        from flowctl import CronSchedule, LaunchPlan, Project, Resources, task, workflow

        @task(requests=Resources(cpu={v["cpu"]!r}, mem={v["mem"]!r}))
        def inc(x: float) -> float:
            return x + 1

        @workflow
        def wf(x: float = 1.0) -> float:
            return inc(x=x)

        lp = LaunchPlan.get_or_create(wf, name={v["lp"]!r}, default_inputs={{"x": {_python(v["default"])}}},
                                      schedule=CronSchedule(schedule={v["cron"]!r}, timezone={v["zone"]!r}))
        project = Project({v["project"]!r}, labels={{{v["label_key"]!r}: {v["label_value"]!r}}},
                          domains=["development", {v["domain"]!r}])
        project.domain({v["domain"]!r}).register(wf, version={v["version"]!r})
        project.domain({v["domain"]!r}).launch_plan(lp, active=True)
    '''))
    result = invoke("plan", "prop_manifest.py", "--version", "v1", "--registry", f"sqlite:///{workdir / 'm.db'}",
                    cwd=folder)
    check(result, 0, 1)
    return result


def test_the_valid_manifest_plans(workdir: Path) -> None:
    """The template the properties vary is valid: each property reaches as far as its values allow."""
    result = _plan_manifest(workdir)
    assert result.code == 0 and "Plan:" in result.stdout, result.output


@SETTINGS
@given(project=names, domain=names, lp=names, version=names, label_key=names, label_value=st.text(max_size=30))
def test_any_manifest_name_is_a_plan_or_a_diagnostic(workdir: Path, project: str, domain: str, lp: str,
                                                     version: str, label_key: str, label_value: str) -> None:
    _plan_manifest(workdir, project=project, domain=domain, lp=lp, version=version, label_key=label_key,
                   label_value=label_value)


@SETTINGS
@given(cron=crons, zone=zones)
def test_any_schedule_is_a_plan_or_a_diagnostic(workdir: Path, cron: str, zone: str) -> None:
    _plan_manifest(workdir, cron=cron, zone=zone)


@SETTINGS
@given(cpu=quantities, mem=quantities, default=json_values)
def test_any_resources_and_default_inputs_are_a_plan_or_a_diagnostic(workdir: Path, cpu: object, mem: object,
                                                                     default: Any) -> None:
    _plan_manifest(workdir, cpu=cpu, mem=mem, default=default)


def _python(value: Any) -> str:
    """A Python literal for a JSON-ish value (repr keeps NaN as float('nan'))."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"float({str(value)!r})"
    if isinstance(value, list):
        return "[" + ", ".join(_python(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_python(v)}" for k, v in value.items()) + "}"
    return repr(value)
