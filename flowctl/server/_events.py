"""Server-sent events: an execution's live state, pushed whenever it changes.

The stream polls the store (in a worker thread) every ``interval`` seconds and sends an ``update``
event when the state differs from the last one sent, a comment every ``keepalive`` seconds so
proxies keep the connection, and an ``end`` event once the execution is terminal.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import anyio
from fastapi import Request
from fastapi.responses import StreamingResponse

from flowctl.server._models import ExecutionEvent

POLL_INTERVAL = 0.4
KEEPALIVE = 15.0


def event_stream(request: Request, poll: Callable[[], ExecutionEvent], *, interval: float = POLL_INTERVAL) -> StreamingResponse:
    return StreamingResponse(_events(request, poll, interval), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


async def _events(request: Request, poll: Callable[[], ExecutionEvent], interval: float) -> AsyncIterator[str]:
    last, quiet = "", 0.0
    yield "retry: 2000\n\n"
    while not await request.is_disconnected():
        state = await anyio.to_thread.run_sync(poll)
        data = state.model_dump_json()
        if data != last:
            last, quiet = data, 0.0
            yield f"event: update\ndata: {data}\n\n"
        if state.terminal:
            yield f"event: end\ndata: {data}\n\n"
            return
        if quiet >= KEEPALIVE:
            quiet = 0.0
            yield ": keepalive\n\n"
        await anyio.sleep(interval)
        quiet += interval
