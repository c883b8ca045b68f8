"""The real control plane for the tests: ``../shared/k8s-sim`` (kube-apiserver, controller-manager,
scheduler v1.28 and a simulated node that runs each pod's command here), started once per session.

Skipped with the reason when it cannot run here (not Linux, folder or etcd missing, no
``kubernetes`` package); under ``CI=true`` with the folder present, a cluster that does not come up
is a failure. The cluster is stopped at the end only when this session started it.
"""

from __future__ import annotations

import base64
import json
import os
import shlex
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SIM = Path(os.environ.get("K8S_SIM_DIR") or ROOT.parent / "shared" / "k8s-sim").resolve()


def _reason_to_skip() -> str | None:
    if not sys.platform.startswith("linux"):
        return "k8s-sim runs on Linux only"
    if not (SIM / "up.sh").is_file() or not (SIM / "kube-sim.xz").is_file():
        return f"k8s-sim not found in {SIM} (set K8S_SIM_DIR)"
    if not (os.environ.get("K8S_SIM_ETCD") or shutil.which("etcd") or os.path.exists("/usr/bin/etcd")):
        return "etcd not installed (apt-get install etcd-server)"
    return None


def pod_path() -> str:
    """The pods' PATH: this venv first, so ``python`` in a pod is this interpreter with flowctl."""
    return os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")


def start() -> dict[str, str]:
    """Start (or reuse) the cluster; the exports of ``up.sh`` (KUBECONFIG, K8S_SIM_HOME, ...)."""
    reason = _reason_to_skip()
    if reason is not None:
        if os.environ.get("CI") and (SIM / "up.sh").is_file():
            pytest.fail(f"k8s-sim cannot run in CI: {reason}")
        pytest.skip(reason)
    pytest.importorskip("kubernetes")
    env = dict(os.environ, K8S_SIM_PYTHON=sys.executable, SIM_POD_PATH=pod_path())
    result = subprocess.run(["bash", str(SIM / "up.sh")], env=env, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        pytest.fail("k8s-sim did not start:\n" + result.stderr[-3000:])
    info = dict(shlex.split(line)[1].split("=", 1) for line in result.stdout.splitlines() if line.startswith("export "))
    if info.get("K8S_SIM_STARTED") != "1" and not _node_runs_this_venv(Path(info["K8S_SIM_HOME"])):
        subprocess.run(["bash", str(SIM / "restart-node.sh")], env=env, capture_output=True, check=True, timeout=120)
    return info


def stop(info: dict[str, str]) -> None:
    if info.get("K8S_SIM_STARTED") == "1":
        subprocess.run(["bash", str(SIM / "down.sh")], env=dict(os.environ, K8S_SIM_HOME=info["K8S_SIM_HOME"]),
                       capture_output=True, timeout=60)


def _node_runs_this_venv(home: Path) -> bool:
    """A reused cluster keeps the pods' PATH it was started with: is this venv first on it?"""
    for line in (home / "pids").read_text().splitlines():
        name, pid, *_ = line.split()
        if name == "fake-kubelet":
            try:
                environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            except OSError:
                return False
            path = next((e[5:].decode() for e in environ if e.startswith(b"PATH=")), "")
            return path.split(os.pathsep)[0] == os.path.dirname(sys.executable)
    return False


def compact_etcd(home: Path) -> int:
    """Compact etcd's history up to its current revision (what the API server does every 5
    minutes): watches from an older resourceVersion that reach etcd get 410 Gone. The revision."""
    port = _etcd_port(home)

    def post(path: str, body: dict[str, object]) -> dict[str, object]:
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())  # type: ignore[no-any-return]

    header = post("/v3/kv/range", {"key": base64.b64encode(b"/").decode()})["header"]
    revision = int(header["revision"])  # type: ignore[index]
    post("/v3/kv/compaction", {"revision": str(revision), "physical": True})
    return revision


def _etcd_port(home: Path) -> str:
    for line in (home / "sim.env").read_text().splitlines():
        key, _, value = line.partition("=")
        if key == "ETCD_PORT":
            return value
    raise RuntimeError(f"no ETCD_PORT in {home / 'sim.env'}")
