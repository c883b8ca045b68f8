"""Run churn.py with flytekit instead of flowctl: the import is the only difference.

flytekit pins its own dependencies, so use a separate virtualenv:

    python -m venv /tmp/fk && /tmp/fk/bin/pip install flytekit pandas pyarrow
    /tmp/fk/bin/python examples/flyte_port/check_with_flytekit.py

It copies churn.py with ``from flowctl import (`` replaced by ``from flytekit import (`` into a
temporary folder, runs ``churn_wf()`` locally (answering the approval prompt with yes) and prints the
result, which is the one ``flowctl run examples/flyte_port/churn.py churn_wf --signal
publish-report=yes`` prints. Checked with flytekit 1.16.31.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    source = (HERE / "churn.py").read_text().replace("from flowctl import (", "from flytekit import (")
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "churn.py").write_text(source)
        run = subprocess.run([sys.executable, "-c", "import churn; print(churn.churn_wf())"], cwd=folder,
                             input="y\n", capture_output=True, text=True, timeout=600)
    sys.stderr.write(run.stderr[-2000:])
    print(run.stdout.strip().splitlines()[-1] if run.stdout.strip() else "(no output)")
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
