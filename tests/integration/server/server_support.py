"""A real `flowctl server` process on 127.0.0.1 for tests, and the flows it serves.

``ServerProcess`` starts ``python -m flowctl server --port 0`` (a free port) on a registry and blob
store, reads the address it announces, and stops it by its pid. Flows are the engine tests' own
(tests/integration/engine/flows_root/flows.py), registered through the store API.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parents[1] / "engine"))
from engine_support import DOMAIN, PROJECT, VERSION, bundle, flows, register

__all__ = ["DOMAIN", "PROJECT", "VERSION", "ServerProcess", "flows", "register_flows", "sse_events"]

PYTHON = sys.executable
ANNOUNCE = re.compile(r"flowctl server on (http://\S+) ")


def register_flows(tmp: Path, url: str, blobs: str) -> None:
    """Register the engine test flows (chain, failing, composite, parent, ...) in proj/development."""
    uri = bundle(tmp / "src", blobs)
    entities = [flows.chain, flows.failing, flows.composite, flows.parent, flows.long_running, flows.two_steps,
                flows.mapped_partial, flows.hourly]
    register(url, entities, bundle_uri=uri, activate=["hourly"])


class ServerProcess:
    """`flowctl server` as a subprocess; ``url`` is its base URL once started."""

    def __init__(self, tmp: Path, registry: str, blobs: str, *, controller: bool = True, cwd: Path | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.tmp, self.registry, self.blobs = tmp, registry, blobs
        self.env = {
            **os.environ, "FLOWCTL_REGISTRY": registry, "FLOWCTL_BLOB_STORE": blobs, "FLOWCTL_PROVIDER": "local",
            "FLOWCTL_BUNDLE_CACHE": str(tmp / "bundle-cache"), "FLOWCTL_LEASE_SECONDS": "3",
            "FLOWCTL_RETRY_BACKOFF": "0.05", "NO_COLOR": "1", **(env or {}),
        }
        args = [PYTHON, "-m", "flowctl", "server", "--port", "0", "--poll-interval", "0.1"]
        self.log = tmp / "server.log"
        self.process = subprocess.Popen([*args, *(["--with-controller"] if controller else [])], env=self.env,
                                        cwd=cwd or tmp, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.url = self._wait_for_address()
        self.client = httpx.Client(base_url=self.url, timeout=30)

    def _wait_for_address(self, timeout: float = 60) -> str:
        assert self.process.stderr is not None
        lines: list[str] = []
        found: list[str] = []

        def read() -> None:
            assert self.process.stderr is not None
            with open(self.log, "w") as log:
                for line in self.process.stderr:
                    lines.append(line)
                    log.write(line)
                    log.flush()
                    match = ANNOUNCE.search(line)
                    if match and not found:
                        found.append(match.group(1))

        threading.Thread(target=read, daemon=True).start()
        end = time.monotonic() + timeout
        while time.monotonic() < end and not found:
            if self.process.poll() is not None:
                time.sleep(0.2)
                raise AssertionError(f"flowctl server exited {self.process.returncode}:\n{''.join(lines)}")
            time.sleep(0.05)
        assert found, f"flowctl server did not start:\n{''.join(lines)}"
        return found[0]

    def stop(self) -> None:
        self.client.close()
        if self.process.poll() is None:
            self.process.terminate()  # our own child, by its pid
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    # ------------------------------------------------------------ helpers
    def get(self, path: str, **params: Any) -> Any:
        response = self.client.get(path, params=params)
        assert response.status_code == 200, f"{path}: {response.status_code} {response.text}"
        return response.json()

    def post(self, path: str, body: Any = None, status: int = 201) -> Any:
        response = self.client.post(path, json=body)
        assert response.status_code == status, f"{path}: {response.status_code} {response.text}"
        return response.json()

    def launch(self, launch_plan: str, project: str = PROJECT, domain: str = DOMAIN, **inputs_text: str) -> str:
        path = f"/api/v1/projects/{project}/domains/{domain}/launch_plans/{launch_plan}/executions"
        return str(self.post(path, {"inputs_text": inputs_text})["name"])

    def execution(self, name: str, project: str = PROJECT, domain: str = DOMAIN) -> Any:
        return self.get(f"/api/v1/projects/{project}/domains/{domain}/executions/{name}")

    def wait(self, name: str, phases: set[str], timeout: float = 60, project: str = PROJECT) -> Any:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            doc = self.execution(name, project=project)
            if doc["execution"]["phase"] in phases:
                return doc
            time.sleep(0.1)
        raise AssertionError(f"{name} never reached {phases}: {doc['execution']}\n{self.log.read_text()}")

    def wait_node(self, name: str, node: str, phases: set[str], timeout: float = 60) -> Any:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            doc = self.execution(name)
            if {n["id"]: n["phase"] for n in doc["nodes"]}.get(node) in phases:
                return doc
            time.sleep(0.1)
        raise AssertionError(f"node {node} of {name} never reached {phases}: {doc['nodes']}")


def sse_events(client: httpx.Client, path: str, timeout: float = 60) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event, data) pairs of a server-sent event stream, until the server closes it."""
    with client.stream("GET", path, timeout=timeout) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        event = ""
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line[len("event: "):]
            elif line.startswith("data: "):
                yield event, json.loads(line[len("data: "):])
