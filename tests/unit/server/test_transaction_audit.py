"""What the audit log records of a store transaction (``transaction_audit``): the addresses it wrote, in
order and each once; past 20, how many in each project/domain; for one recording only an apply, the
places its plan changed (a remote `apply` of my-ml-project is no longer audited as `*`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flowctl.server._operations import Scope
from flowctl.server._store_api import transaction_audit
from flowctl.spec import DomainSettingsSpec, ProjectSpec
from flowctl.state import ApplyRecord
from flowctl.state import _wire as w


def audit(*ops: Any) -> str:
    return transaction_audit(Scope(), {"body": w.TransactionRequest(ops=list(ops))}, None)


def record(*addresses: str) -> w.RecordApply:
    plan = {"changes": [{"address": a, "action": "register"} for a in addresses]}
    return w.RecordApply(record=ApplyRecord(serial=1, lineage="", applied_at=datetime.now(UTC), user="x", host="h",
                                            ci_run_url=None, operation="apply", plan=plan, desired_state={},
                                            summary=""))


def test_every_kind_of_write_is_named_by_its_address() -> None:
    assert audit(w.UpsertProject(spec=ProjectSpec(name="p"), managed_by="m"),
                 w.UpsertDomainSettings(spec=DomainSettingsSpec(project="p", domain="dev"), managed_by="m"),
                 w.ActivateMany(items=[("p", "dev", "nightly", "v2")], managed_by="m"),
                 w.Deactivate(project="p", domain="dev", name="old"),
                 w.ArchiveProject(name="gone"),
                 record("p/dev/launch_plan/nightly@v2")) == (
        "p, p/dev, p/dev/launch_plan/nightly@v2, p/dev/launch_plan/old, gone")


def test_an_apply_record_alone_names_the_places_its_plan_changed() -> None:
    assert audit(record("p/dev/task/t@v1", "q/prod/task/t@v1")) == "p/dev, q/prod"
    assert audit(record()) == "*"  # a record naming no place (it needs deploy on every project)
