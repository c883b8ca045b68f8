"""``current_context()`` and ``Deck``: what a running task may ask about its execution, and its report.

The runner that calls a task (the local runner, or ``flowctl._runtime`` inside an attempt) sets an
:class:`ExecutionParameters` for the duration of the call (a context variable, so threads and
nested runs do not mix them up). Outside a task ``current_context()`` describes a local session.
Unlike flytekit's global ``FlyteContextManager``, nothing else reads it: compilation never does.

``Deck("name", html)`` adds an HTML piece to the running task's report; ``current_context().default_deck``
is the ``default`` one. Remote attempts store the report in the blob store next to their outputs
(``deck.html``; ``flowctl executions show ID --deck``); local runs return it in ``RunResult.decks``.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from flowctl._errors import InputError
from flowctl._record import field, record

if TYPE_CHECKING:
    import logging

class ContextSource(Protocol):
    """What a runner puts in the context: it knows the parameters of the task it is calling."""

    def params(self) -> ExecutionParameters: ...


_CURRENT: contextvars.ContextVar[ContextSource | None] = contextvars.ContextVar("flowctl_task_context", default=None)
_ENV_INVALID = r"[^A-Za-z0-9_]"  # compiled on first use (re caches it): a task without secrets never does


@record(frozen=True)
class ExecutionId:
    """flytekit's ``WorkflowExecutionIdentifier``: where the running execution is."""

    project: str
    domain: str
    name: str


@record(frozen=True)
class TaskId:
    """flytekit's task ``Identifier``: the running task's name and registered version."""

    project: str
    domain: str
    name: str
    version: str


def secret_env_var(group: str, key: str | None) -> str:
    """The default variable of a secret: ``FLOWCTL_SECRET_{GROUP}_{KEY}`` (what the Kubernetes Job sets)."""
    return re.sub(_ENV_INVALID, "_", f"FLOWCTL_SECRET_{group}_{key or ''}".rstrip("_")).upper()


@record(frozen=True)
class SecretsManager:
    """Reads the secrets a task requested: the ``env_var`` or file under ``mount_path`` given in its
    ``Secret(...)``, else ``FLOWCTL_SECRET_{GROUP}_{KEY}`` (set it yourself for local runs)."""

    requests: Sequence[Any] = ()  # the task's SecretSpec / Secret objects

    def get_secrets_env_var(self, group: str, key: str | None = None) -> str:
        for secret in self.requests:
            if secret.group == group and secret.key == key and secret.env_var:
                return str(secret.env_var)
        return secret_env_var(group, key)

    def get(self, group: str, key: str | None = None) -> str:
        for secret in self.requests:
            if secret.group == group and secret.key == key and secret.mount_path:
                path = Path(secret.mount_path) / (key or "")
                if path.is_file():
                    return path.read_text().rstrip("\n")
        name = self.get_secrets_env_var(group, key)
        value = os.environ.get(name)
        if value is None:
            raise InputError(
                f"Secret `{group}/{key or ''}` is not available to this task",
                detail=f"Set the environment variable {name} (local runs), or request it on the task: "
                f"@task(secret_requests=[Secret(group={group!r}, key={key!r})]) so the provider mounts it.",
            )
        return value


class Deck:
    """One named HTML piece of a task's report: ``Deck("summary", "<h1>...</h1>")``, ``.append(html)``."""

    def __init__(self, name: str, html: str = "", *, auto_add_to_deck: bool = True) -> None:
        self.name = name
        self._html = html
        running = _CURRENT.get()
        if auto_add_to_deck and running is not None:
            running.params().decks.append(self)

    def append(self, html: str) -> Deck:
        self._html += html
        return self

    @property
    def html(self) -> str:
        return self._html

    def __repr__(self) -> str:
        return f"Deck({self.name!r}, {len(self._html)} characters)"


@record
class ExecutionParameters:
    """What ``current_context()`` returns inside a task (flytekit's names).

    ``working_directory`` is a fresh temporary folder per attempt, made when first asked for.
    """

    execution_id: ExecutionId
    task_id: TaskId
    node_id: str = ""
    attempt: int = 0
    execution_date: datetime = field(default_factory=lambda: datetime.now(UTC))
    secrets: SecretsManager = field(default_factory=SecretsManager)
    raw_output_prefix: str = ""
    decks: list[Deck] = field(default_factory=list)
    _working_directory: str = ""

    @property
    def working_directory(self) -> str:
        if not self._working_directory:
            import tempfile

            self._working_directory = tempfile.mkdtemp(prefix="flowctl-task-")
        return self._working_directory

    @property
    def logging(self) -> logging.Logger:
        import logging  # not at import time: `import flowctl` stays light

        return logging.getLogger(f"flowctl.task.{self.task_id.name}")

    @property
    def default_deck(self) -> Deck:
        for deck in self.decks:
            if deck.name == "default":
                return deck
        return Deck("default")  # adds itself when this is the running context

    def deck_documents(self) -> dict[str, str]:
        """The report: deck name -> HTML (decks of one name joined), empty ones left out."""
        out: dict[str, str] = {}
        for deck in self.decks:
            if deck.html:
                out[deck.name] = out.get(deck.name, "") + deck.html
        return out


class RunningTask:
    """The task a runner is calling: its parameters are built only when the task asks for them,
    so a task that never calls ``current_context()`` costs one small object per call."""

    __slots__ = ("_factory", "_params")

    def __init__(self, factory: Callable[[], ExecutionParameters]) -> None:
        self._factory = factory
        self._params: ExecutionParameters | None = None

    def params(self) -> ExecutionParameters:
        if self._params is None:
            self._params = self._factory()
        return self._params

    def decks(self) -> dict[str, str]:
        """The decks the task wrote (none when it never asked for its context)."""
        return self._params.deck_documents() if self._params is not None else {}


def current_context() -> ExecutionParameters:
    """The running task's execution parameters (a local session's outside a task)."""
    running = _CURRENT.get()
    return running.params() if running is not None else local_session()


_SESSION: list[ExecutionParameters] = []


def local_session() -> ExecutionParameters:
    """What ``current_context()`` describes outside a task."""
    if not _SESSION:
        import tempfile

        _SESSION.append(ExecutionParameters(ExecutionId("local", "local", "local"), TaskId("local", "local", "", ""),
                                            _working_directory=tempfile.gettempdir()))
    return _SESSION[0]


def enter_task(source: ContextSource) -> contextvars.Token[ContextSource | None]:
    """Make ``source`` answer ``current_context()`` until ``exit_task(token)`` (runners call these)."""
    return _CURRENT.set(source)


def exit_task(token: contextvars.Token[ContextSource | None]) -> None:
    _CURRENT.reset(token)


@contextlib.contextmanager
def task_context(params: ExecutionParameters) -> Iterator[RunningTask]:
    """``params`` is the running task's context inside the block."""
    running = RunningTask(lambda: params)
    token = enter_task(running)
    try:
        yield running
    finally:
        exit_task(token)


def render_report(title: str, documents: dict[str, str]) -> str:
    """One self-contained HTML page with every deck of a task, each under its name."""
    import html as html_lib

    sections = "\n".join(f"<section><h2>{html_lib.escape(name)}</h2>\n{body}\n</section>" for name, body in documents.items())
    return (f"<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{html_lib.escape(title)}</title></head>\n"
            f"<body>\n<h1>{html_lib.escape(title)}</h1>\n{sections}\n</body></html>\n")
