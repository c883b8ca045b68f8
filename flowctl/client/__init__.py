"""The CLI through the server: the store interfaces implemented over the server's HTTP API.

With ``FLOWCTL_SERVER`` (or ``server =`` in flowctl.toml) set, the commands open
:class:`RemoteStore` instead of the SQL store (``flowctl.cli._stores``), so a CI job needs a
token (``FLOWCTL_TOKEN``), not database credentials. Needs httpx only (no FastAPI).
"""

from flowctl.client._executions import RemoteExecutions
from flowctl.client._http import ServerClient
from flowctl.client._store import RemoteStore

__all__ = ["RemoteExecutions", "RemoteStore", "ServerClient"]
