"""A separate process that works on a registry, for the concurrency and crash tests.

Usage: ``python _worker.py COMMAND URL [ARGS...]``. Prints ``ready`` when the store is open, waits
for a line on stdin (``go``) when the command races, then prints one JSON result line.
"""

from __future__ import annotations

import json
import sys
import time

from flowctl._address import EntityKind
from flowctl._errors import ImmutabilityError, LockError
from flowctl.spec import ProjectSpec, digest_of
from flowctl.state import LockInfo, new_apply_record, open_store
from flowctl.state.testing import task_spec


def say(**data: object) -> None:
    print(json.dumps(data), flush=True)


def main() -> None:
    command, url, *args = sys.argv[1:]
    store = open_store(url)
    say(state="ready")
    if command == "register":  # args: project code
        project, code = args
        sys.stdin.readline()
        spec = task_spec("mean", code)
        try:
            with store.transaction() as tx:
                result = tx.register(
                    EntityKind.TASK, project, "development", "mean", "v1", spec, digest_of(spec),
                    managed_by="race", created_by=code,
                )
            say(result="created" if result.created else "noop")
        except ImmutabilityError as error:
            say(result="immutable", message=str(error))
    elif command == "lock":  # args: hold_seconds
        sys.stdin.readline()
        try:
            with store.lock(LockInfo(operation="apply", holder=f"worker-{args[1]}"), timeout=0):
                say(result="locked")
                time.sleep(float(args[0]))
        except LockError as error:
            say(result="refused", message=str(error))
    elif command == "hold-lock":  # args: ttl; holds until killed
        with store.lock(LockInfo(operation="apply", holder="doomed"), timeout=0, ttl=int(args[0])):
            say(result="locked")
            time.sleep(600)
    elif command == "write-and-hang":  # args: project; killed before it commits
        (project,) = args
        with store.transaction() as tx:
            tx.upsert_project(ProjectSpec(name=project), managed_by="crash")
            for i in range(20):
                spec = task_spec(f"t{i}")
                tx.register(EntityKind.TASK, project, "development", f"t{i}", "v1", spec, digest_of(spec),
                            managed_by="crash", created_by="crash")
            tx.record_apply(new_apply_record("apply", plan={}, desired_state={}))
            say(result="written")
            time.sleep(600)
    store.close()


if __name__ == "__main__":
    main()
