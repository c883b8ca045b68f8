"""Where task attempts run and what exists outside the registry: local, kubernetes.

``get_provider(config)`` picks the provider named by ``provider.name``; the kubernetes provider is
imported only when asked for, so the local path never loads the kubernetes client. The interface's
names (``AttemptRef``, ``SubmitRequest``...) load on first use, so a local attempt process, which
imports this package on its way to ``flowctl.providers.local._child``, does not build them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flowctl import _lazy

if TYPE_CHECKING:
    from flowctl._config import Config
    from flowctl.providers._interface import (
        THROTTLED,
        TIMEOUT,
        AttemptPhase,
        AttemptRef,
        ErrorKind,
        LogsResponse,
        Provider,
        ProviderFailure,
        StatusResponse,
        SubmitRequest,
        SubmitResponse,
    )

# resolved on first use (PEP 562): a local attempt process imports ``flowctl.providers.local._child``,
# which loads this package, and needs none of the interface's classes
_LAZY_EXPORTS = dict.fromkeys(
    ("THROTTLED", "TIMEOUT", "AttemptPhase", "AttemptRef", "ErrorKind", "LogsResponse", "Provider", "ProviderFailure",
     "StatusResponse", "SubmitRequest", "SubmitResponse"),
    "flowctl.providers._interface",
)


def __getattr__(name: str) -> Any:
    return _lazy.resolve(__name__, _LAZY_EXPORTS, globals(), name)


__all__ = [
    "THROTTLED",
    "TIMEOUT",
    "AttemptPhase",
    "AttemptRef",
    "ErrorKind",
    "LogsResponse",
    "Provider",
    "ProviderFailure",
    "StatusResponse",
    "SubmitRequest",
    "SubmitResponse",
    "get_provider",
]


def get_provider(config: Config, *, name: str | None = None) -> Provider:
    """The provider named by ``name`` or ``config``'s ``provider.name`` (``local`` or ``kubernetes``)."""
    from flowctl._errors import ProviderError

    chosen = name or config.get("provider.name") or "local"
    if chosen == "local":
        from flowctl.providers.local import LocalProvider

        return LocalProvider(config.blob_store_url, log_dir=config.root / ".flowctl" / "logs")
    if chosen == "kubernetes":
        try:
            from flowctl.providers.kubernetes import KubernetesProvider  # type: ignore[attr-defined,unused-ignore]
        except ImportError as exc:
            raise ProviderError(
                "The kubernetes provider is not available",
                detail=f"{exc}\nInstall it with `pip install 'flowctl[kubernetes]'`.",
            ) from exc
        provider: Provider = KubernetesProvider.from_config(config)
        return provider
    raise ProviderError(
        f"Unknown provider `{chosen}`",
        detail="Set provider.name (flag --provider, env FLOWCTL_PROVIDER) to `local` or `kubernetes`.",
    )
