"""The double's Job controller: a created Job gets a pod once admission lets it in, the pod runs
(its ``runner``), and the Job gets ``Complete`` or ``Failed``, honouring ``activeDeadlineSeconds``
and ``ttlSecondsAfterFinished``; deleting the Job or its pod stops it."""

from __future__ import annotations

import base64
import json
import secrets
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flowctl.providers.kubernetes.testing._admission import apply_limit_ranges, quota_refusal
from flowctl.providers.kubernetes.testing._http import now
from flowctl.providers.kubernetes.testing._pods import PodResult, PodRun

if TYPE_CHECKING:
    from flowctl.providers.kubernetes.testing._double import KubernetesDouble


@dataclass
class _JobSim:
    cancelled: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None


class JobController:
    """Runs the Jobs of ``api`` (one thread per Job)."""

    def __init__(self, api: KubernetesDouble) -> None:
        self.api = api
        self._sims: dict[tuple[str, str], _JobSim] = {}

    def cancel(self, ns: str, job: str) -> None:
        sim = self._sims.get((ns, job))
        if sim is not None:
            sim.cancelled.set()

    def cancel_pod(self, ns: str, pod: str) -> None:
        for (n, job), sim in list(self._sims.items()):
            if n == ns and pod.startswith(job + "-"):
                sim.cancelled.set()

    def stop(self) -> None:
        for sim in list(self._sims.values()):
            sim.cancelled.set()

    def join(self) -> None:
        for sim in list(self._sims.values()):
            if sim.thread is not None:
                sim.thread.join(5)

    def start(self, ns: str, name: str) -> None:
        """Run a created Job: admit its pod, run it, finish the Job."""
        sim = _JobSim()
        sim.thread = threading.Thread(target=self._run_job, args=(ns, name, sim), name=f"k8s-double-job-{name}", daemon=True)
        self._sims[(ns, name)] = sim
        sim.thread.start()

    def _run_job(self, ns: str, name: str, sim: _JobSim) -> None:
        try:
            self._simulate(ns, name, sim)
        except Exception as exc:  # a bug in the double must show up in the test's output
            sys.stderr.write(f"kubernetes double: job {ns}/{name} simulation failed: {exc!r}\n")

    def _simulate(self, ns: str, name: str, sim: _JobSim) -> None:
        job = self.api.get("jobs", ns, name)
        if job is None:
            return
        started = time.monotonic()
        deadline = job["spec"].get("activeDeadlineSeconds")
        ttl = job["spec"].get("ttlSecondsAfterFinished")
        self.api._update("jobs", ns, name, lambda j: j["status"].update({"startTime": now()}))
        pod = self._admitted_pod(ns, job, sim, started, deadline)
        if pod is None:
            return
        pod_name = pod["metadata"]["name"]
        container = pod["spec"]["containers"][0]
        self.api._update("jobs", ns, name, lambda j: j["status"].update({"active": 1, "ready": 0}))
        self.api._put("pods", ns, pod, "ADDED")
        with self.api._cond:
            fault = self.api._pod_faults.get(name) or self.api._pod_faults.get("*")

        def expired() -> bool:
            return deadline is not None and time.monotonic() - started >= float(deadline)

        if sim.cancelled.wait(self.api.pod_start_delay):
            return
        result: PodResult | None = None
        env, missing = self._container_env(ns, container)
        if fault == "unschedulable":
            self.api._update("pods", ns, pod_name, lambda p: p["status"].update({"conditions": [{
                "type": "PodScheduled", "status": "False", "reason": "Unschedulable", "lastTransitionTime": now(),
                "message": "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available."}],
                "containerStatuses": []}))
        elif fault == "image_pull":
            self.api._update("pods", ns, pod_name, lambda p: p["status"].update({"containerStatuses": [_waiting(
                container, "ErrImagePull", f'rpc error: code = NotFound desc = failed to pull and unpack image "{container["image"]}": not found')]}))
        elif missing:
            self.api._update("pods", ns, pod_name, lambda p: p["status"].update({"containerStatuses": [_waiting(
                container, "CreateContainerConfigError", f'secret "{missing}" not found')]}))
        elif fault == "oom":
            result = PodResult(137, "OOMKilled")
        if fault in ("unschedulable", "image_pull") or missing:
            while not sim.cancelled.wait(0.05):
                if expired():
                    self._fail_deadline(ns, name, pod_name)
                    break
            return
        if result is None:
            self.api._update("pods", ns, pod_name, lambda p: p["status"].update({"phase": "Running", "startTime": now(),
                "containerStatuses": [{"name": container["name"], "image": container.get("image", ""), "imageID": "", "ready": True,
                                       "restartCount": 0, "started": True, "state": {"running": {"startedAt": now()}}}]}))
            self.api._update("jobs", ns, name, lambda j: j["status"].update({"ready": 1}))
            run = PodRun(ns, pod_name, name, container.get("image", ""), list(container.get("command", [])) + list(container.get("args", [])),
                         env, sim.cancelled, lambda text: self.api._append_log(ns, pod_name, text))
            outcome: list[PodResult] = []
            worker = threading.Thread(target=lambda: outcome.append(self.api.runner(run)), daemon=True)
            worker.start()
            while worker.is_alive():
                worker.join(0.02)
                if expired() and not sim.cancelled.is_set():
                    sim.cancelled.set()
                    worker.join(5)
                    self._fail_deadline(ns, name, pod_name)
                    return
            if sim.cancelled.is_set() or not outcome:
                return
            result = outcome[0]
        self._finish(ns, name, pod_name, container, result)
        if ttl is not None and not sim.cancelled.wait(float(ttl)):
                self.api._delete("jobs", ns, name, {"propagationPolicy": "Background"}, None)

    def _admitted_pod(self, ns: str, job: dict[str, Any], sim: _JobSim, started: float,
                      deadline: Any) -> dict[str, Any] | None:
        """The Job's pod once admission lets it in (LimitRange defaults applied); until then each
        refused try is a FailedCreate event on the Job, retried with backoff. None: cancelled."""
        name, template = job["metadata"]["name"], job["spec"]["template"]
        delay = 0.1
        while True:
            pod_name = f"{name}-{secrets.token_hex(3)[:5]}"
            spec = json.loads(json.dumps(template["spec"]))
            apply_limit_ranges(spec, self.api.list("limitranges", ns))
            running = [p for p in self.api.list("pods", ns) if p.get("status", {}).get("phase") not in ("Succeeded", "Failed")]
            refusal = quota_refusal(pod_name, spec, self.api.list("resourcequotas", ns), running)
            if refusal is None:
                break
            self.api.record_event(ns, job, "FailedCreate", f"Error creating: {refusal}")
            if sim.cancelled.wait(delay):
                return None
            if deadline is not None and time.monotonic() - started >= float(deadline):
                self._fail_deadline(ns, name, None)
                return None
            delay = min(delay * 2, 2.0)
        labels = {**(template.get("metadata", {}).get("labels") or {}), "job-name": name,
                  "controller-uid": job["metadata"]["uid"], "batch.kubernetes.io/job-name": name,
                  "batch.kubernetes.io/controller-uid": job["metadata"]["uid"]}
        return {
            "metadata": {"name": pod_name, "labels": labels, "annotations": template.get("metadata", {}).get("annotations") or {},
                         "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": name, "uid": job["metadata"]["uid"],
                                              "controller": True, "blockOwnerDeletion": True}]},
            "spec": spec,
            "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "True", "lastTransitionTime": now()}],
                       "containerStatuses": [_waiting(spec["containers"][0], "ContainerCreating", "")]},
        }

    def _finish(self, ns: str, name: str, pod_name: str, container: dict[str, Any], result: PodResult) -> None:
        ok = result.exit_code == 0
        reason = result.reason or ("Completed" if ok else "Error")
        terminated = {"exitCode": result.exit_code, "reason": reason, "startedAt": now(), "finishedAt": now()}
        if result.message:
            terminated["message"] = result.message
        self.api._update("pods", ns, pod_name, lambda p: p["status"].update({
            "phase": "Succeeded" if ok else "Failed",
            "containerStatuses": [{"name": container["name"], "image": container.get("image", ""), "imageID": "", "ready": False,
                                   "restartCount": 0, "started": False, "state": {"terminated": terminated}}]}))
        if ok:
            conditions = [_condition("SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods"),
                          _condition("Complete", "CompletionsReached", "Reached expected number of succeeded pods")]
            status = {"active": 0, "ready": 0, "succeeded": 1, "completionTime": now(), "conditions": conditions}
        else:
            conditions = [_condition("FailureTarget", "BackoffLimitExceeded", "Job has reached the specified backoff limit"),
                          _condition("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit")]
            status = {"active": 0, "ready": 0, "failed": 1, "conditions": conditions}
        self.api._update("jobs", ns, name, lambda j: j["status"].update(status))

    def _fail_deadline(self, ns: str, name: str, pod_name: str | None) -> None:
        if pod_name is not None:
            self.api._delete_object("pods", ns, pod_name)
        conditions = [_condition("FailureTarget", "DeadlineExceeded", "Job was active longer than specified deadline"),
                      _condition("Failed", "DeadlineExceeded", "Job was active longer than specified deadline")]
        self.api._update("jobs", ns, name, lambda j: j["status"].update({"active": 0, "ready": 0, "failed": 1, "conditions": conditions}))

    def _container_env(self, ns: str, container: dict[str, Any]) -> tuple[dict[str, str], str | None]:
        """The container's environment with secret references resolved; the first missing secret."""
        env: dict[str, str] = {}
        for source in container.get("envFrom") or []:
            ref = (source.get("secretRef") or {}).get("name")
            if ref:
                secret = self.api.get("secrets", ns, ref)
                if secret is None:
                    return env, ref
                env.update({k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()})
        for var in container.get("env") or []:
            ref = ((var.get("valueFrom") or {}).get("secretKeyRef")) or None
            if ref is None:
                env[var["name"]] = str(var.get("value", ""))
                continue
            secret = self.api.get("secrets", ns, ref["name"])
            if secret is None or ref["key"] not in (secret.get("data") or {}):
                return env, ref["name"]
            env[var["name"]] = base64.b64decode(secret["data"][ref["key"]]).decode()
        return env, None


def _waiting(container: dict[str, Any], reason: str, message: str) -> dict[str, Any]:
    state: dict[str, Any] = {"reason": reason}
    if message:
        state["message"] = message
    return {"name": container["name"], "image": container.get("image", ""), "imageID": "", "ready": False, "restartCount": 0,
            "started": False, "state": {"waiting": state}}


def _condition(kind: str, reason: str, message: str) -> dict[str, Any]:
    return {"type": kind, "status": "True", "reason": reason, "message": message, "lastProbeTime": now(),
            "lastTransitionTime": now()}
