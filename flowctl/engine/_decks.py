"""Task reports (``flowctl.Deck``) of an execution: which nodes wrote one, and a report's HTML.

``flowctl executions show --deck`` reads them through these two functions, from the registry database
and blob store or, through the flowctl server, on the server (``flowctl.server._execution_ops``).
"""

from __future__ import annotations

from flowctl import _blobstore as blobs
from flowctl._errors import InputError
from flowctl.state._execution_access import ExecutionAccess


def find_decks(store: ExecutionAccess, execution_id: str) -> dict[str, str]:
    """Node id -> the URI of the report of its newest attempt that wrote one, in node order."""
    from flowctl.entrypoint import deck_uri

    found: dict[str, str] = {}
    for node_id, attempts in sorted(store.load_attempts(execution_id).items()):
        for attempt in reversed(attempts):
            if attempt.outputs_uri and blobs.exists(deck_uri(attempt.outputs_uri)):
                found[node_id] = deck_uri(attempt.outputs_uri)
                break
    return found


def read_deck(decks: dict[str, str], node: str, execution_name: str) -> str:
    """The HTML of ``node``'s report; InputError naming the nodes that have one."""
    if node not in decks:
        raise InputError(f"Node {node} of execution {execution_name} has no report",
                         detail=f"Nodes with reports: {', '.join(decks) or '(none)'}. A task writes one with Deck(...).")
    return blobs.read_bytes(decks[node]).decode()
