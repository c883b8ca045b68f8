"""The user's cache folder (XDG base directories): where flowctl keeps what it can always make again.

``$XDG_CACHE_HOME`` when it is an absolute path (the XDG spec: a relative one is invalid and ignored),
else ``~/.cache``; None when neither is known (no ``HOME`` and no passwd entry for the user, as for
a container run under an arbitrary uid). Only ``os`` and ``pathlib``: a task attempt imports it.
"""

from __future__ import annotations

import os
from pathlib import Path


def user_cache_dir(*parts: str) -> Path | None:
    """``<cache home>/<parts...>``, or None when there is no cache home."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg):
        return Path(xdg, *parts)
    try:
        home = Path.home()
    except RuntimeError:  # no HOME and no passwd entry
        return None
    return home.joinpath(".cache", *parts)
