"""The first code of a local attempt process: record its own handle, then run the entrypoint.

::

    python -m flowctl.providers.local._child FOLDER DEADLINE -- ENTRYPOINT_ARGUMENTS...

``FOLDER/attempt.pid`` gets ``pid:start_ticks:deadline`` before the task body runs, so a controller
that lost track of this process (killed right after spawning it) adopts it instead of starting the
attempt again (see ``_claim``). The inherited ``attempt.lock`` descriptor stays open until exit.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    import gc

    gc.disable()  # what loads from here stays until exit: collected not at all (see flowctl.entrypoint.freeze_start_up)
    folder, deadline, separator, *rest = argv
    if separator != "--":
        sys.stderr.write("usage: python -m flowctl.providers.local._child FOLDER DEADLINE -- ARGS...\n")
        return 2
    from flowctl.providers.local._claim import record_handle
    from flowctl.providers.local._process import ProcessHandle, start_ticks

    pid = os.getpid()
    record_handle(Path(folder), ProcessHandle(pid, max(start_ticks(pid), 0), float(deadline)))
    from flowctl.entrypoint import main as entrypoint

    return entrypoint(rest, whole_process=True)  # this process is the attempt's: see flowctl.entrypoint.run


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
