"""One reconciliation pass over one execution: poll attempts, walk the DAG, start what is ready.

A pass reads the execution's node and attempt rows, asks the provider about running attempts,
walks the workflow (subworkflows inline under ``node/`` prefixes, conditionals, map items as
``node[i]``, launch-plan nodes as child executions), and writes what changed in one transaction
before it submits new attempts. Everything it decides is derived from the rows and the attempt
documents in the blob store, so a pass after a controller restart picks up where the last left off:

* a node that succeeded is never started again (its row says so);
* an attempt row is written *before* its submit, so a crash in between leaves a row the next pass
  resubmits under the same attempt number; submit is idempotent per attempt (a provider adopts what
  an earlier submit of the same attempt started: the local provider's lock and pid files, the
  Kubernetes Job name), so an attempt's body runs once whatever point the controller died at;
* attempt numbers are unique in the database, so two controllers never start the same attempt.
"""

from __future__ import annotations

import heapq
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from flowctl import _blobstore as blobs
from flowctl._dag import (
    Unresolved,
    branch_outputs,
    choose_case,
    collect_map_outputs,
    map_items,
    resolve_inputs,
)
from flowctl._faults import pause_point
from flowctl.engine._cache import cache_key
from flowctl.engine._cleanup import clean_up
from flowctl.engine._context import EngineContext
from flowctl.engine._launch import OVERWRITE_CACHE_LABEL, new_execution, resolve_launch_plan
from flowctl.engine._names import child_name
from flowctl.engine._outcome import RUNNING, Outcome
from flowctl.engine._ready import ReadySet, with_ancestors
from flowctl.entrypoint import error_document, error_uri
from flowctl.providers._interface import THROTTLED, TIMEOUT, AttemptRef, SubmitRequest
from flowctl.spec import Json, NodeSpec, TaskSpec, WorkflowSpec
from flowctl.state._executions import AttemptRecord, ExecutionRecord, Finish, NodeRecord

log = logging.getLogger("flowctl.engine")


def _failure(code: str, message: str, kind: str = "user") -> Outcome:
    return Outcome("failed", error=error_document(kind, code, message, "", False))


def utcnow() -> datetime:
    return datetime.now(UTC)


class ExecutionPass:
    """See the module docstring. ``run()`` returns True when it changed anything."""

    def __init__(self, ctx: EngineContext, execution: ExecutionRecord, nodes: dict[str, NodeRecord] | None = None,
                 attempts: dict[str, list[AttemptRecord]] | None = None) -> None:
        """``nodes`` and ``attempts``: the execution's rows when the caller read them already."""
        self.ctx = ctx
        self.x = execution
        self.now = utcnow()
        self.nodes = ctx.store.load_nodes(execution.id) if nodes is None else nodes
        self.attempts = ctx.store.load_attempts(execution.id) if attempts is None else attempts
        self.finished = False
        self.dirty: dict[str, NodeRecord] = {}
        self.changed_attempts: dict[tuple[str, int], AttemptRecord] = {}
        self.submits: list[tuple[AttemptRecord, SubmitRequest]] = []  # new attempts: rows written first
        self.resubmits: list[tuple[AttemptRecord, SubmitRequest]] = []  # rows without a handle (a crash)
        self.cache_puts: list[tuple[str, str, str, dict[str, Json], bool]] = []
        self.cleanups: list[tuple[AttemptRef, str]] = []  # finished attempts, cleaned up once their rows are written
        self.active = sum(1 for a in self._latest_attempts() if a.active)
        self.progress = False
        self.starting = False
        self.overwrite_cache = execution.labels.get(OVERWRITE_CACHE_LABEL) == "true"
        self._settings: dict[str, Json] | None = None
        self.dynamic_tasks: dict[str, TaskSpec] = {}  # specs that came with @dynamic sub-workflows
        self.dynamic_workflows: dict[str, WorkflowSpec] = {}
        self._dynamic: dict[str, tuple[WorkflowSpec, dict[str, TaskSpec], dict[str, WorkflowSpec]] | None] = {}
        self._ready: dict[str, ReadySet] = {}  # by walk prefix, for the length of this pass
        self.hot: set[str] = set()  # node ids (with their ancestors) that changed since the last walk
        self._changed_ids: set[str] = set()
        self._slot_waiters: set[str] = set()  # nodes that found no free slot (max_parallelism)
        self.drives = 0

    # ------------------------------------------------------------ entry point
    def run(self, max_iterations: int = 1000) -> bool:
        """Iterate poll -> walk -> write -> submit in memory while that makes progress.

        Only this controller (the claim holder) writes the execution's rows, so the state read at
        the start stays true; each iteration writes its decisions before it submits anything.
        """
        self.starting = self.x.phase == "queued"
        if self.x.abort_requested:
            self._abort_all("aborted")
            self._finish("aborted", None, error_document("user", "USER:Aborted", "aborted on request", "", False))
            return True
        moved = self.starting
        for _ in range(max_iterations):
            self.progress = False
            self.now = utcnow()
            result = self._iterate()
            moved |= self.progress
            if result.phase != "running":
                phase = "succeeded" if result.phase == "succeeded" else self._failed_phase(result.error)
                self._finish(phase, result.outputs if phase == "succeeded" else None, result.error)
                return True
            if not self.progress:
                break
        if self.changed_attempts or self.dirty or self.starting:
            self._flush()
        self._clean_up()
        return moved

    def _iterate(self) -> Outcome:
        self._poll()
        self.hot, self._changed_ids = with_ancestors(self._changed_ids), set()
        try:
            wf, _ = self.ctx.specs.workflow(self.x.project, self.x.domain, self.x.workflow_name, self.x.workflow_version)
            result = self._walk(wf, "", dict(self.x.inputs))
        except Exception as exc:  # a broken registration or a bug: fail the execution, keep the controller
            log.exception("execution %s cannot be walked", self.x.name)
            result = _failure("SYSTEM:EngineError", f"{type(exc).__name__}: {exc}", "system")
        if result.phase == "failed":
            self._abort_all("aborted")
        if result.phase != "running":
            return result  # run() writes the rest with the execution's end, in one transaction
        if self.submits or self.resubmits or self.dirty or self.changed_attempts or self.cache_puts or self.starting:
            self._flush()
            failed: list[tuple[AttemptRef, str]] = []
            try:
                failed = self._submit()
            finally:  # after the submits: the next task starts without waiting for the last one's cleanup
                self._clean_up()
            self.cleanups.extend(failed)  # once the next flush wrote their ends, as for any ended attempt
        return result

    # ------------------------------------------------------------ polling
    def _latest_attempts(self) -> list[AttemptRecord]:
        return [atts[-1] for atts in self.attempts.values() if atts]

    def _ref(self, node_id: str, attempt: int) -> AttemptRef:
        return AttemptRef(self.x.project, self.x.domain, self.x.name, node_id, attempt)

    def _poll(self) -> None:
        for attempt in self._latest_attempts():
            if attempt.phase != "running" or attempt.handle is None:
                continue
            status = self.ctx.provider.status(self._ref(attempt.node_id, attempt.attempt), attempt.handle)
            if status.phase in ("pending", "running"):
                continue
            attempt.finished_at = self.now
            if status.phase == "succeeded":
                attempt.phase = "succeeded"
            else:
                failure = status.error
                attempt.phase = "timed_out" if failure and failure.code == TIMEOUT else "failed"
                attempt.error_kind = failure.kind if failure else "system"
                attempt.message = f"{failure.code}: {failure.message}" if failure else status.message
                if failure and attempt.outputs_uri and not blobs.exists(error_uri(attempt.outputs_uri)):
                    doc = error_document(failure.kind, failure.code, failure.message, "", failure.retryable)
                    try:
                        blobs.write_json(error_uri(attempt.outputs_uri), doc)
                    except OSError as exc:  # a full disk (a WriteError): the attempt's row holds the failure
                        log.warning("attempt %s/%s failed (%s); its error document is not saved: %s",
                                    attempt.node_id, attempt.attempt, failure.code, exc)
            self._changed(attempt)
            self._freed_slot()
            # after the flush: a controller killed in between finds the attempt finished, not its Job gone
            self.cleanups.append((self._ref(attempt.node_id, attempt.attempt), attempt.handle))

    def _changed(self, attempt: AttemptRecord) -> None:
        self.changed_attempts[(attempt.node_id, attempt.attempt)] = attempt
        self._changed_ids.add(attempt.node_id)
        self.progress = True

    def _touch(self, node: NodeRecord) -> NodeRecord:
        self.nodes[node.node_id] = node
        self.dirty[node.node_id] = node
        self._changed_ids.add(node.node_id)
        self.progress = True
        return node

    def _freed_slot(self) -> None:
        self.active -= 1
        self._changed_ids |= self._slot_waiters
        self._slot_waiters.clear()

    # ------------------------------------------------------------ the walk
    def _walk(self, wf: WorkflowSpec, prefix: str, inputs: dict[str, Json]) -> Outcome:
        """Drive the ready nodes of ``wf`` (under ``prefix``) in dependency order; see engine/_ready.py."""
        ready = self._ready.get(prefix)
        if ready is None or ready.wf is not wf:
            ready = self._ready[prefix] = ReadySet(wf, self.ctx.plan_of(wf), inputs)
            for i, node in enumerate(ready.nodes):  # what earlier passes finished, from the rows
                record = self.nodes.get(prefix + node.id)
                if record is not None and record.terminal and i in ready.frontier:
                    done = self._outcome_of(record)
                    ready.settle(i, "succeeded" if done.phase == "succeeded" else "failed", done.outputs, done.error)
        queue = [i for i in ready.to_drive(prefix, self.hot) if not self._quiet(ready.nodes[i], prefix + ready.nodes[i].id)]
        heapq.heapify(queue)
        while queue:
            i = heapq.heappop(queue)
            node = ready.nodes[i]
            ready.driven.add(i)
            self.drives += 1
            outcome = self._drive(node, prefix + node.id, ready.known)
            if outcome.phase == "running":
                continue
            for j in ready.settle(i, outcome.phase, outcome.outputs, outcome.error):
                heapq.heappush(queue, j)
            if outcome.phase == "failed" and wf.failure_policy == "fail_immediately":
                return Outcome("failed", error=ready.first_error)
        if ready.running:
            return RUNNING
        if ready.failed:
            return Outcome("failed", error=ready.first_error)
        try:
            return Outcome("succeeded", resolve_inputs(wf.outputs, ready.known))
        except Unresolved as exc:
            return _failure("SYSTEM:UnboundOutput", f"workflow {wf.name} output refers to {exc}", "system")

    def _quiet(self, node: NodeSpec, node_id: str) -> bool:
        """A task node whose attempt runs with a handle: driving it would do nothing (the poll finds
        its end, and a finished attempt is no longer active)."""
        if node.kind != "task":
            return False
        attempts = self.attempts.get(node_id)
        record = self.nodes.get(node_id)
        if not attempts or record is None or record.terminal:
            return False
        return attempts[-1].active and attempts[-1].handle is not None

    def _drive(self, node: NodeSpec, node_id: str, known: dict[str, dict[str, Json]]) -> Outcome:
        existing = self.nodes.get(node_id)
        if existing is not None and existing.terminal:
            return self._outcome_of(existing)
        try:
            if node.kind == "task":
                task, bundle = self._task_of(node)
                return self._drive_task(node_id, task, bundle, resolve_inputs(node.inputs, known, task.interface))
            if node.kind == "gate":
                # gates (and the SDK's answer parser) load when a workflow has one
                from flowctl.engine._gates import drive_gate

                return drive_gate(self, node, node_id, known)
            if node.kind == "workflow":
                return self._drive_subworkflow(node, node_id, known)
            if node.kind == "branch":
                return self._drive_branch(node, node_id, known)
            if node.kind == "map":
                return self._drive_map(node, node_id, known)
            return self._drive_launch_plan(node, node_id, known)
        except Unresolved as exc:
            return self._fail_node(node_id, _failure("SYSTEM:UnboundInput", f"node {node_id} input refers to {exc}", "system"))

    def _outcome_of(self, node: NodeRecord) -> Outcome:
        if node.phase == "succeeded":
            return Outcome("succeeded", dict(node.outputs or {}))
        return Outcome("failed", error=node.error or error_document("system", "SYSTEM:Unknown", node.phase, "", False))

    def _task(self, name: str) -> tuple[TaskSpec, str | None]:
        if name in self.dynamic_tasks:
            return self.dynamic_tasks[name], None
        return self.ctx.specs.task(self.x.project, self.x.domain, name, self.x.workflow_version)

    def _task_of(self, node: NodeSpec) -> tuple[TaskSpec, str | None]:
        """The task a task or map node runs: a reference's registered version, with the node's overrides."""
        ref = node.reference
        if ref is not None:
            task, bundle = self.ctx.specs.task(ref.project, ref.domain, ref.name, ref.version)
        else:
            task, bundle = self._task(node.target)
        return (node.overrides.apply(task) if node.overrides is not None else task), bundle

    def _workflow(self, name: str) -> WorkflowSpec:
        if name in self.dynamic_workflows:
            return self.dynamic_workflows[name]
        return self.ctx.specs.workflow(self.x.project, self.x.domain, name, self.x.workflow_version)[0]

    def _drive_dynamic(self, node_id: str, task: TaskSpec, document: dict[str, Json]) -> Outcome:
        """A @dynamic task's attempt returned a sub-workflow: run it under ``node_id/``.

        The sub-workflow's specs come with the document (flowctl.tasktypes); its nodes are rows
        like any other, so a restarted controller reuses the finished ones.
        """
        from flowctl.tasktypes._dynamic import sub_workflow

        if node_id not in self._dynamic:  # parsed once per pass: the walk keeps its ready set by spec
            self._dynamic[node_id] = sub_workflow(document)
        parsed = self._dynamic[node_id]
        if parsed is None:  # a dynamic task that returned plain outputs
            return Outcome("succeeded", document)
        workflow, tasks, workflows = parsed
        self.dynamic_tasks.update(tasks)
        self.dynamic_workflows.update(workflows)
        outcome = self._walk(workflow, node_id + "/", {})
        if outcome.phase == "failed":
            self._abort_prefix(node_id + "/")
        if outcome.phase != "succeeded":
            return outcome
        names = [o.name for o in task.interface.outputs]
        if all(n in outcome.outputs for n in names):
            return Outcome("succeeded", {n: outcome.outputs[n] for n in names})
        return Outcome("succeeded", dict(zip(names, outcome.outputs.values(), strict=False)))

    def _node(self, node_id: str, inputs: dict[str, Json] | None) -> NodeRecord:
        node = self.nodes.get(node_id)
        if node is None:
            node = self._touch(NodeRecord(node_id, "running", inputs, started_at=self.now))
        return node

    def _succeed_node(self, node_id: str, outputs: dict[str, Json], **extra: object) -> Outcome:
        node = self._node(node_id, None)
        node.phase, node.outputs, node.finished_at = "succeeded", outputs, self.now
        for key, value in extra.items():
            setattr(node, key, value)
        self._touch(node)
        return Outcome("succeeded", outputs)

    def _fail_node(self, node_id: str, outcome: Outcome) -> Outcome:
        node = self._node(node_id, None)
        node.phase, node.error, node.finished_at = "failed", outcome.error, self.now
        if outcome.error and outcome.error.get("code") == TIMEOUT:
            node.phase = "timed_out"
        self._touch(node)
        return outcome

    # ------------------------------------------------------------ tasks
    def _drive_task(self, node_id: str, task: TaskSpec, bundle: str | None, inputs: dict[str, Json]) -> Outcome:
        node = self.nodes.get(node_id)
        if node is not None and node.terminal:
            return self._outcome_of(node)
        key = None
        if task.cache is not None:
            key = cache_key(task, inputs)
            if node is None and not self.overwrite_cache:
                hit = self.ctx.store.cache_get(self.x.project, self.x.domain, key)
                if hit is not None:
                    self._node(node_id, inputs)
                    return self._succeed_node(node_id, hit, cache_hit=True)
        node = self._node(node_id, inputs)
        attempts = self.attempts.get(node_id, [])
        latest = attempts[-1] if attempts else None
        if latest is None:
            self._start(node_id, task, bundle, inputs, 0)
            return RUNNING
        if latest.active:
            self._check_active(node_id, task, bundle, inputs, latest)
            return RUNNING
        if latest.phase == "succeeded":
            outputs = blobs.read_json_or_none(latest.outputs_uri or "")
            if not isinstance(outputs, dict):
                return self._fail_node(node_id, _failure("SYSTEM:MissingOutputs", "the attempt left no outputs.json", "system"))
            if task.dynamic:
                outcome = self._drive_dynamic(node_id, task, outputs)
                if outcome.phase != "succeeded":
                    return self._fail_node(node_id, outcome) if outcome.phase == "failed" else outcome
                outputs = outcome.outputs
            if key is not None:
                self.cache_puts.append((self.x.project, self.x.domain, key, outputs, self.overwrite_cache))
            return self._succeed_node(node_id, outputs)
        doc = self._error_doc(latest)
        if latest.phase == "aborted":
            return self._fail_node(node_id, Outcome("failed", error=doc))
        if bool(doc.get("retryable", True)) and latest.attempt < task.retries:
            if self.now >= (latest.finished_at or self.now) + self._backoff(latest.attempt):
                node.retry_count = latest.attempt + 1
                node.error = doc
                self._touch(node)
                self._start(node_id, task, bundle, inputs, latest.attempt + 1)
            return RUNNING
        return self._fail_node(node_id, Outcome("failed", error=doc))

    def _error_doc(self, attempt: AttemptRecord) -> dict[str, Json]:
        doc = blobs.read_json_or_none(error_uri(attempt.outputs_uri)) if attempt.outputs_uri else None
        if isinstance(doc, dict):
            return doc
        code, _, message = (attempt.message or "Failed: attempt failed").partition(": ")
        return error_document(attempt.error_kind or "system", code, message, "", attempt.phase != "aborted")

    def _backoff(self, attempt: int) -> timedelta:
        seconds = min(self.ctx.options.retry_backoff * (2**attempt), self.ctx.options.retry_backoff_max)
        return timedelta(seconds=seconds)

    def _check_active(self, node_id: str, task: TaskSpec, bundle: str | None, inputs: dict[str, Json],
                      attempt: AttemptRecord) -> None:
        """An attempt row without a handle was never (known to be) submitted: resubmit it."""
        if attempt.handle is not None or any(a is attempt for a, _ in self.submits + self.resubmits):
            return
        if attempt.outputs_uri and blobs.exists(attempt.outputs_uri):
            attempt.phase, attempt.finished_at = "succeeded", self.now
            self._changed(attempt)
            self._clean_unknown(node_id, attempt)
            return
        if attempt.outputs_uri and blobs.exists(error_uri(attempt.outputs_uri)):
            attempt.phase, attempt.finished_at, attempt.error_kind = "failed", self.now, "user"
            self._changed(attempt)
            self._clean_unknown(node_id, attempt)
            return
        self.resubmits.append((attempt, self._request(node_id, task, bundle, inputs, attempt.attempt)))

    def _clean_unknown(self, node_id: str, attempt: AttemptRecord) -> None:
        """It ran (a controller died before recording its handle): the provider finds it by its ref,
        keeps its logs and removes it, as for any finished attempt."""
        self.cleanups.append((self._ref(node_id, attempt.attempt), ""))

    def _start(self, node_id: str, task: TaskSpec, bundle: str | None, inputs: dict[str, Json], number: int) -> None:
        limit = self.x.max_parallelism
        if limit is not None and self.active >= limit:
            self._slot_waiters.add(node_id)
            return  # stays running without an attempt: started by a later pass
        request = self._request(node_id, task, bundle, inputs, number)
        blobs.write_json(request.inputs_uri, inputs)
        attempt = AttemptRecord(node_id, number, "submitting", self.ctx.provider.name, started_at=self.now,
                                outputs_uri=request.outputs_uri,
                                log_uri=blobs.join(request.outputs_uri.rsplit("/", 1)[0], blobs.LOGS))
        self.attempts.setdefault(node_id, []).append(attempt)
        self.submits.append((attempt, request))
        self.active += 1
        self.progress = True

    def _request(self, node_id: str, task: TaskSpec, bundle: str | None, inputs: dict[str, Json],
                 number: int) -> SubmitRequest:
        paths = self.ctx.blobs.attempt(self.x.project, self.x.domain, self.x.name, node_id, number)
        settings = self._domain_settings()
        env = dict(settings.get("environment") or {}) if isinstance(settings.get("environment"), dict) else {}
        env.update(task.environment)
        env.setdefault("FLOWCTL_VERSION", self.x.workflow_version)  # current_context().task_id.version
        wf_bundle = self.ctx.specs.workflow(self.x.project, self.x.domain, self.x.workflow_name,
                                            self.x.workflow_version)[1]
        return SubmitRequest(
            ref=self._ref(node_id, number), task=task.to_json(), inputs_uri=paths.inputs,
            outputs_uri=paths.outputs, bundle_uri=bundle or wf_bundle, blob_store=self.ctx.blobs.url,
            image=task.container_image or _str_or_none(settings.get("container_image")), environment=env,
            service_account=_str_or_none(settings.get("service_account")), timeout_seconds=task.timeout_seconds,
            labels={**task.labels, "flowctl.io/execution": self.x.name, "flowctl.io/project": self.x.project,
                    "flowctl.io/domain": self.x.domain},
            annotations=dict(task.annotations), default_requests=_resources(settings.get("requests")),
            default_limits=_resources(settings.get("limits")),
        )

    def _domain_settings(self) -> dict[str, Json]:
        if self._settings is None:
            self._settings = self.ctx.domain_settings(self.x.project, self.x.domain)
        return self._settings

    # ------------------------------------------------------------ composite nodes
    def _drive_subworkflow(self, node: NodeSpec, node_id: str, known: dict[str, dict[str, Json]]) -> Outcome:
        sub = self._workflow(node.target)
        inputs = resolve_inputs(node.inputs, known, sub.interface)
        self._node(node_id, inputs)
        outcome = self._walk(sub, node_id + "/", inputs)
        if outcome.phase == "succeeded":
            return self._succeed_node(node_id, outcome.outputs)
        if outcome.phase == "failed":
            self._abort_prefix(node_id + "/")
            return self._fail_node(node_id, outcome)
        return RUNNING

    def _drive_branch(self, node: NodeSpec, node_id: str, known: dict[str, dict[str, Json]]) -> Outcome:
        assert node.branch is not None
        record = self.nodes.get(node_id)
        if record is None or not record.inputs or "case" not in record.inputs:
            chosen = choose_case(node.branch, known)
            if chosen is None:
                return self._fail_node(node_id, _failure("USER:NoBranchMatched",
                                                         f"no case of conditional {node.branch.name} matched"))
            record = self._node(node_id, {"case": chosen[0]})
            record.inputs = {"case": chosen[0]}
            self._touch(record)
        case = node.branch.cases[int((record.inputs or {})["case"])]
        if case.fail is not None:
            return self._fail_node(node_id, _failure("USER:BranchFailed", case.fail))
        if case.node is None:
            return self._succeed_node(node_id, {})
        outcome = self._drive(case.node, f"{node_id}/{case.node.id}", known)
        if outcome.phase == "succeeded":
            return self._succeed_node(node_id, branch_outputs(node, outcome.outputs))
        if outcome.phase == "failed":
            return self._fail_node(node_id, outcome)
        return RUNNING

    def _drive_map(self, node: NodeSpec, node_id: str, known: dict[str, dict[str, Json]]) -> Outcome:
        task, bundle = self._task_of(node)
        inputs = resolve_inputs(node.inputs, known)
        self._node(node_id, inputs)
        try:
            items = map_items(inputs, task.interface)
        except ValueError as exc:
            return self._fail_node(node_id, _failure("USER:MapInputs", str(exc)))
        defaults = {i.name: i.default for i in task.interface.inputs if i.has_default}
        limit = node.map.concurrency if node.map and node.map.concurrency else None
        running = succeeded = 0
        results: list[dict[str, Json] | None] = []
        for index, item in enumerate(items):
            item_id = f"{node_id}[{index}]"
            existing = self.nodes.get(item_id)
            if existing is None and limit is not None and running >= limit:
                running += 1  # waiting for a free slot counts as not done
                results.append(None)
                continue
            outcome = self._drive_task(item_id, task, bundle, {**defaults, **item})
            running += outcome.phase == "running"
            succeeded += outcome.phase == "succeeded"
            results.append(outcome.outputs if outcome.phase == "succeeded" else None)
        if running:
            return RUNNING
        ratio = node.map.min_success_ratio if node.map else 1.0
        if items and succeeded / len(items) < ratio:
            return self._fail_node(node_id, _failure(
                "USER:MapFailed", f"{succeeded} of {len(items)} items succeeded; at least {ratio:.0%} must"))
        return self._succeed_node(node_id, collect_map_outputs([o.name for o in task.interface.outputs], results))

    def _drive_launch_plan(self, node: NodeSpec, node_id: str, known: dict[str, dict[str, Json]]) -> Outcome:
        store = self.ctx.store
        child = store.child_execution(self.x.id, node_id)
        if child is None:
            ref = node.reference  # a reference_launch_plan: registered elsewhere, at its own version
            lp = resolve_launch_plan(store, self.ctx.specs, ref.project, ref.domain, ref.name, ref.version) if ref else (
                resolve_launch_plan(store, self.ctx.specs, self.x.project, self.x.domain, node.target,
                                    self.x.workflow_version))
            inputs = resolve_inputs(node.inputs, known)
            self._node(node_id, inputs)
            try:
                new = new_execution(lp, inputs, name=child_name(self.x.name, node_id), parent=(self.x.id, node_id),
                                    created_by=self.x.created_by)
            except Exception as exc:  # invalid inputs for the child: the node fails
                return self._fail_node(node_id, _failure("USER:ChildInputs", str(exc)))
            store.create_execution(new)
            self.progress = True
            return RUNNING
        self._node(node_id, dict(child.inputs))
        if child.phase == "succeeded":
            return self._succeed_node(node_id, dict(child.outputs or {}))
        if child.terminal:
            error = dict(child.error or {}) or error_document("user", "USER:ChildFailed", child.phase, "", False)
            error["message"] = f"child execution {child.name} {child.phase}: {error.get('message', '')}"
            return self._fail_node(node_id, Outcome("failed", error=error))
        return RUNNING

    # ------------------------------------------------------------ abort, flush, finish
    def _abort_prefix(self, prefix: str) -> None:
        for attempt in self._latest_attempts():
            if attempt.active and attempt.node_id.startswith(prefix):
                self._abort_attempt(attempt)

    def _abort_attempt(self, attempt: AttemptRecord) -> None:
        ref = self._ref(attempt.node_id, attempt.attempt)
        if attempt.handle is not None:
            self.ctx.provider.cancel(ref, attempt.handle)
        if not any(a is attempt for a, _ in self.submits):  # a new attempt not written yet was never started
            # its logs kept, its Job or process removed (a row without a handle: the provider finds it by ref)
            self.cleanups.append((ref, attempt.handle or ""))
        self.submits = [(a, r) for a, r in self.submits if a is not attempt]
        self.resubmits = [(a, r) for a, r in self.resubmits if a is not attempt]
        attempt.phase, attempt.finished_at, attempt.message = "aborted", self.now, "Aborted: aborted"
        self._changed(attempt)
        self._freed_slot()
        node = self.nodes.get(attempt.node_id)
        if node is not None and not node.terminal:
            node.phase, node.finished_at = "aborted", self.now
            node.error = error_document("user", "USER:Aborted", "aborted", "", False)
            self._touch(node)

    def _abort_all(self, phase: str) -> None:
        for attempt in self._latest_attempts():
            if attempt.active:
                self._abort_attempt(attempt)
        for node in list(self.nodes.values()):
            if not node.terminal:
                node.phase, node.finished_at = phase, self.now
                self._touch(node)
        for child in self.ctx.store.children(self.x.id):
            if not child.terminal:
                self.ctx.store.request_abort(child.id)

    def _flush(self, finish: Finish | None = None) -> None:
        """Write the pass's decisions (and with ``finish`` the execution's end, in the same transaction);
        only attempts whose rows we inserted get submitted."""
        inserted = self.ctx.store.save(
            self.x.id, self.ctx.owner, nodes=list(self.dirty.values()), new_attempts=[a for a, _ in self.submits],
            attempts=list(self.changed_attempts.values()), cache=self.cache_puts,
            started_at=self.now if self.starting else None, finish=finish,
        )
        self.starting = False
        ours = {id(a) for a in inserted}
        self.submits = [(a, r) for a, r in self.submits if id(a) in ours]
        self.dirty.clear()
        self.changed_attempts.clear()
        self.cache_puts.clear()

    def _clean_up(self) -> None:
        """Clean up the finished attempts whose rows a flush wrote (their logs kept, their Job or
        process folder removed); the controller records them at the end of its step (``cleaned_at``).
        Runs after the pass's submits, off the path to the next task. A controller killed before the
        record, or a cleanup that raised, leaves the attempt to the recovery sweep (engine/_cleanup.py)."""
        cleanups, self.cleanups = self.cleanups, []
        if not cleanups:
            return
        pause_point("cleanup:before")
        self.ctx.cleaned.extend(clean_up(self.ctx, [(ref, handle, (self.x.id, ref.node, ref.attempt))
                                                    for ref, handle in cleanups]))

    def _submit(self) -> list[tuple[AttemptRef, str]]:
        """Submit the new and the resubmitted attempts; returns the cleanups of those whose submit failed."""
        failed: list[tuple[AttemptRef, str]] = []
        for attempt, request in self.submits + self.resubmits:
            response = self.ctx.provider.submit(request)
            pause_point("submit:before-flush")
            if response.adopted:
                log.info("attempt %s/%s of %s was started before: adopted", attempt.node_id, attempt.attempt, self.x.name)
            if response.error is not None and response.error.code == THROTTLED:
                self.ctx.store.delete_attempt(self.x.id, attempt.node_id, attempt.attempt)
                self.attempts[attempt.node_id].remove(attempt)
                continue
            attempt.handle = response.handle or None
            if response.error is not None:
                failure = response.error
                attempt.phase, attempt.finished_at = "failed", self.now
                attempt.error_kind, attempt.message = failure.kind, f"{failure.code}: {failure.message}"
                doc = error_document(failure.kind, failure.code, failure.message, "", failure.retryable)
                blobs.write_json(error_uri(request.outputs_uri), doc)
                failed.append((request.ref, attempt.handle or ""))
            else:
                attempt.phase = "running"
            self._changed(attempt)  # the handle is written by the next flush (same pass, milliseconds later)
        self.submits, self.resubmits = [], []
        return failed

    def _failed_phase(self, error: dict[str, Json] | None) -> str:
        return "timed_out" if error and error.get("code") == TIMEOUT else "failed"

    def _finish(self, phase: str, outputs: dict[str, Json] | None, error: dict[str, Json] | None) -> None:
        from flowctl.engine._notify import notifications_for

        finished = replace(self.x, phase=phase, outputs=outputs, error=error, finished_at=self.now)
        queued = notifications_for(self.ctx, finished, self._domain_settings())
        self._flush(Finish(phase, outputs, error, self.now, tuple(queued)))
        self._clean_up()
        self.finished = True


def _resources(value: Json) -> dict[str, str]:
    """A stored ResourcesSpec (domain settings) as ``{name: quantity}`` without the unset ones."""
    return {k: str(v) for k, v in value.items() if v not in (None, "")} if isinstance(value, dict) else {}


def _str_or_none(value: Json) -> str | None:
    return value if isinstance(value, str) and value else None
