"""Run a Markdown page as a shell session: the page's files are written, its commands run, and the
output each command shows in the page is checked against what it prints.

The page's conventions (docs/getting-started.md):

* `<!-- file: PATH -->` on the line before a fenced block: the block is the content of PATH;
* a ```` ```console ```` block holds commands (`$ ` lines, `\\` continues one) each followed by the
  output to expect; ```` ```bash ```` blocks are shown, not run;
* a command ending in `&` runs in the background until the session ends;
* `# exits N` at the end of a command: N is its expected exit status (else 0).

To refresh a page after an output changed, print what every command prints now, with each
mismatch marked::

    .venv/bin/python tests/e2e/doc_session.py docs/getting-started.md

Output is compared line by line after :func:`normalize`, which replaces what differs from run to
run (versions, digests, execution ids, times, durations, the session's folder) with placeholders:
every expected line must be a line of the actual output; a `...` line stands for lines left out.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

_FILE = re.compile(r"<!--\s*file:\s*(\S+)\s*-->")
_FENCE = re.compile(r"^```(\w*)\s*$")
_EXITS = re.compile(r"\s+#\s*exits\s+(\d+)\s*$")


@dataclass
class Command:
    line: int  # where the command starts in the page
    text: str
    expected: list[str] = field(default_factory=list)
    exit_code: int = 0

    @property
    def background(self) -> bool:
        return self.text.rstrip().endswith("&")


@dataclass
class File:
    line: int
    path: str
    content: str


def parse(page: str) -> list[Command | File]:
    """The page's files and commands, in page order."""
    steps: list[Command | File] = []
    lines = page.splitlines()
    index = 0
    pending_file: str | None = None
    while index < len(lines):
        fence = _FENCE.match(lines[index])
        if not fence:
            marker = _FILE.search(lines[index])
            if marker:
                pending_file = marker.group(1)
            index += 1
            continue
        language, start = fence.group(1), index + 1
        end = start
        while end < len(lines) and not lines[end].startswith("```"):
            end += 1
        body = lines[start:end]
        if pending_file is not None:
            steps.append(File(start, pending_file, "\n".join(body) + "\n"))
        elif language == "console":
            steps += _commands(body, start + 1)
        pending_file = None
        index = end + 1
    return steps


def _commands(body: list[str], first_line: int) -> list[Command]:
    commands: list[Command] = []
    index = 0
    while index < len(body):
        line = body[index]
        if line.startswith("$ "):
            start = index
            text = line[2:]
            while text.endswith("\\") and index + 1 < len(body):
                index += 1
                text = text[:-1] + " " + body[index].strip()
            exit_code = 0
            exits = _EXITS.search(text)
            if exits:
                exit_code = int(exits.group(1))
                text = text[: exits.start()]
            commands.append(Command(first_line + start, text, exit_code=exit_code))
        elif commands and line.strip():
            commands[-1].expected.append(line)
        index += 1
    return commands


_VOLATILE = [
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<uuid>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}| UTC)?"), "<time>"),
    (re.compile(r"\b\d{2}:\d{2}:\d{2}\b"), "<time>"),
    # versions (git SHAs), digests, execution ids: a long lowercase token with a digit, or of 20 characters
    (re.compile(r"\b(?=[0-9a-z]*\d)[0-9a-z]{10,}\b|\b[0-9a-z]{20}\b"), "<id>"),
    (re.compile(r"\b\d+(\.\d+)?\s?(ms|s|µs)\b"), "<duration>"),
    (re.compile(r"\b\d+\.\d+\b"), "<number>"),
    (re.compile(r"\b[\w.-]+@[\w.-]+\b"), "<user@host>"),
]
ELISION = "..."


def normalize(text: str, folder: str | None = None) -> str:
    """``text`` with what differs from run to run replaced by placeholders, spaces collapsed;
    ``folder`` (the session's, as the page shows it) becomes ``<folder>``."""
    if folder:
        text = text.replace(folder, "<folder>")
    for pattern, placeholder in _VOLATILE:
        text = pattern.sub(placeholder, text)
    return " ".join(text.split())


@dataclass
class Mismatch:
    command: Command
    output: str
    exit_code: int
    missing: str | None

    def summary(self) -> str:
        what = (f"expected line not printed: {self.missing!r}" if self.missing is not None
                else f"exit status {self.exit_code}, expected {self.command.exit_code}")
        return f"page line {self.command.line}: `{self.command.text}`: {what}"

    def __str__(self) -> str:
        return f"{self.summary()}\n--- output:\n{self.output}"


class Session:
    """One shell session in ``folder``: files are written there and commands run there with bash."""

    def __init__(self, folder: Path, env: dict[str, str], *, shown_folder: str, timeout: float = 120) -> None:
        self.folder = folder
        self.shown_folder = shown_folder  # how the page writes the session's folder
        self.env = env
        self.timeout = timeout
        self.background: list[subprocess.Popen[bytes]] = []

    def run(self, steps: list[Command | File], *, stop_on_mismatch: bool = True) -> list[str]:
        """Run every step; the transcript (each command and its output, and its mismatch if any)."""
        transcript: list[str] = []
        for step in steps:
            if isinstance(step, File):
                target = self.folder / step.path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(step.content)
                continue
            if step.background:
                self.background.append(subprocess.Popen(
                    ["bash", "-c", f"exec {step.text.rstrip().removesuffix('&')}"], cwd=self.folder,
                    env=self.env, start_new_session=True))
                transcript.append(f"$ {step.text}")
                continue
            result = subprocess.run(["bash", "-c", step.text], cwd=self.folder, env=self.env, timeout=self.timeout,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            transcript.append(f"$ {step.text}\n{result.stdout}")
            mismatch = check(step, result.stdout, result.returncode, str(self.folder.resolve()), self.shown_folder)
            if mismatch is not None and stop_on_mismatch:
                raise AssertionError(f"{mismatch}\n--- session so far:\n" + "\n".join(transcript[-6:]))
            if mismatch is not None:
                transcript.append(f"!!! MISMATCH {mismatch.summary()}")
        return transcript

    def close(self) -> None:
        for process in self.background:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.background:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def check(command: Command, output: str, exit_code: int, folder: str | None = None,
          shown_folder: str | None = None) -> Mismatch | None:
    """None when the exit status is the expected one and every expected line (but ``...``) is a line
    of ``output``, each output line matching at most one. Order is not checked: a command's stdout
    and stderr reach the pipe in an order that depends on buffering, not on the command."""
    if exit_code != command.exit_code:
        return Mismatch(command, output, exit_code, None)
    remaining = [normalize(line, folder) for line in output.splitlines()]
    for expected in command.expected:
        if expected.strip() == ELISION:
            continue
        wanted = normalize(expected, shown_folder)
        if wanted not in remaining:
            return Mismatch(command, output, exit_code, expected)
        remaining.remove(wanted)
    return None


def session_env(home: Path) -> dict[str, str]:
    """A clean environment for a page's session: this interpreter's `flowctl` first on PATH, no
    FLOWCTL_* settings, a fixed user (alice) for git and for the names flowctl records."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLOWCTL_", "GIT_"))}
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}", HOME=str(home),
               USER="alice", LOGNAME="alice", GIT_CONFIG_NOSYSTEM="1",
               GIT_AUTHOR_NAME="alice", GIT_AUTHOR_EMAIL="alice@example.com",
               GIT_COMMITTER_NAME="alice", GIT_COMMITTER_EMAIL="alice@example.com")
    return env


def main(argv: list[str]) -> int:
    """Run the page ``argv[0]`` in a scratch folder named ``hello``; print the transcript."""
    if len(argv) != 1:
        sys.stderr.write("usage: .venv/bin/python tests/e2e/doc_session.py PAGE.md\n")
        return 2
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "hello"
        folder.mkdir()
        session = Session(folder, session_env(Path(scratch)), shown_folder="/tmp/hello")
        try:
            transcript = session.run(parse(Path(argv[0]).read_text()), stop_on_mismatch=False)
        finally:
            session.close()
    print("\n".join(transcript))
    return 1 if any(entry.startswith("!!! MISMATCH") for entry in transcript) else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
