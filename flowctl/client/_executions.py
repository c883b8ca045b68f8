"""The execution commands' store (``ExecutionAccess``) over the server's store API.

``flowctl launch``, ``run --remote`` and ``executions list|get|outputs|logs|abort|relaunch|recover`` run
their usual code on it; ``executions signal|approve|show --deck`` and ``backfill`` ask the server to run
the engine function the local CLI runs (``send_signal``, ``find_decks``/``read_deck``, ``backfill``); the server checks a new execution against its launch plan again, so no
launch rule is skipped by going through HTTP.
"""

from __future__ import annotations

from datetime import datetime

from flowctl.client._http import ServerClient
from flowctl.state import _wire as w
from flowctl.state._execution_access import ExecutionAccess
from flowctl.state._execution_records import (
    AttemptRecord,
    ExecutionRecord,
    NewExecution,
    NodeRecord,
    ScheduleFire,
    StoredSpec,
)

XR = "/store/execution-records"


class RemoteExecutions:
    def __init__(self, client: ServerClient) -> None:
        self._client = client
        self.url = client.url

    @classmethod
    def connect(cls, url: str, *, token: str | None = None) -> RemoteExecutions:
        return cls(ServerClient(url, token=token))

    def close(self) -> None:
        self._client.close()

    def get_spec(self, kind: str, project: str, domain: str, name: str, version: str) -> StoredSpec | None:
        doc = self._client.call("GET", f"/store/projects/{project}/domains/{domain}/specs/{kind}/{name}/{version}")
        return w.StoredSpecDoc.model_validate(doc).spec

    def _version(self, kind: str, project: str, domain: str, name: str, *, active: bool) -> str | None:
        doc = self._client.call("GET", f"/store/projects/{project}/domains/{domain}/versions/{kind}/{name}",
                                params={"active": str(active).lower()})
        return w.VersionDoc.model_validate(doc).version

    def latest_version(self, kind: str, project: str, domain: str, name: str) -> str | None:
        return self._version(kind, project, domain, name, active=False)

    def active_version(self, project: str, domain: str, launch_plan: str) -> str | None:
        return self._version("launch_plan", project, domain, launch_plan, active=True)

    def create_execution(self, new: NewExecution, *, recover_from: str | None = None) -> ExecutionRecord:
        body = w.dump(w.CreateExecutionRequest(new=new, recover_from=recover_from))
        created = w.ExecutionDoc.model_validate(self._client.call("POST", XR, json=body)).execution
        assert created is not None  # the server answers 201 with the record, or a problem
        return created

    def get_execution(self, execution_id: str) -> ExecutionRecord | None:
        return w.ExecutionDoc.model_validate(self._client.call("GET", f"{XR}/{execution_id}")).execution

    def find_executions(self, ref: str) -> list[ExecutionRecord]:
        return w.ExecutionsDoc.model_validate(self._client.call("GET", f"{XR}/find", params={"ref": ref})).items

    def list_executions(self, *, project: str | None = None, domain: str | None = None, phase: str | None = None,
                        launch_plan: str | None = None, limit: int = 50,
                        top_level_only: bool = False) -> list[ExecutionRecord]:
        params = {"project": project, "domain": domain, "phase": phase, "launch_plan": launch_plan, "limit": limit,
                  "top_level_only": str(top_level_only).lower()}
        return w.ExecutionsDoc.model_validate(self._client.call("GET", XR, params=params)).items

    def load_nodes(self, execution_id: str) -> dict[str, NodeRecord]:
        return w.NodesDoc.model_validate(self._client.call("GET", f"{XR}/{execution_id}/nodes")).nodes

    def load_attempts(self, execution_id: str) -> dict[str, list[AttemptRecord]]:
        return w.AttemptsDoc.model_validate(self._client.call("GET", f"{XR}/{execution_id}/attempts")).attempts

    def fires(self, project: str, domain: str, launch_plan: str) -> list[ScheduleFire]:
        """The recorded fires of a launch plan's schedule (``flowctl drift``)."""
        doc = self._client.call("GET", f"/store/projects/{project}/domains/{domain}/fires/{launch_plan}")
        return w.FiresDoc.model_validate(doc).items

    def attempt_log(self, execution_id: str, node_id: str, attempt: int) -> w.LogDoc:
        """One attempt's log, read by the server (from its blob store, or live from its provider)."""
        return w.LogDoc.model_validate(self._client.call("GET", f"{XR}/{execution_id}/attempts/{node_id}/{attempt}/log"))

    def request_abort(self, execution_id: str) -> bool:
        return w.DoneDoc.model_validate(self._client.call("POST", f"{XR}/{execution_id}/abort")).done


    # ---- the server runs these itself (``flowctl.server._execution_ops``), as the local CLI runs them on the database
    def send_signal(self, execution: ExecutionRecord, name: str, text: str, *, actor: str,
                    approve: bool) -> w.SignalDoc:
        """Give a gate its value; the server parses ``text`` against the gate (``engine._gates.send_signal``)."""
        path = f"/store/projects/{execution.project}/domains/{execution.domain}/execution-records/{execution.id}/signals/{name}"
        body = w.dump(w.SignalRequest(text=text, approve=approve, actor=actor))
        return w.SignalDoc.model_validate(self._client.call("POST", path, json=body))

    def find_decks(self, execution_id: str) -> dict[str, str]:
        """Node id -> where its report is (``engine._decks.find_decks``, on the server)."""
        return w.DecksDoc.model_validate(self._client.call("GET", f"{XR}/{execution_id}/decks")).decks

    def read_deck(self, execution_id: str, node_id: str) -> str:
        return w.DeckDoc.model_validate(self._client.call("GET", f"{XR}/{execution_id}/decks/{node_id}")).html

    def backfill(self, project: str, domain: str, launch_plan: str, start: datetime, end: datetime, *,
                 version: str | None, dry_run: bool) -> list[w.FiredTime]:
        """``engine.backfill`` on the server: the due times in ``[start, end]``, fired once each."""
        path = f"/store/projects/{project}/domains/{domain}/backfills/{launch_plan}"
        if dry_run:
            doc = self._client.call("GET", path, params={"start": start.isoformat(), "end": end.isoformat(),
                                                         "version": version})
        else:
            doc = self._client.call("POST", path, json=w.dump(w.BackfillRequest(start=start, end=end, version=version)))
        return w.BackfillDoc.model_validate(doc).items


def _conforms(store: RemoteExecutions) -> ExecutionAccess:
    """mypy checks here that RemoteExecutions is an ExecutionAccess."""
    return store
