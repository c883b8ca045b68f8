"""Value objects for task options: ``Resources``, ``Cache``, ``Secret``, ``PodTemplate``."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from flowctl._errors import ManifestError
from flowctl._record import field, record
from flowctl.sdk._source import frame_location
from flowctl.spec._canonical import Json

if TYPE_CHECKING:
    from decimal import Decimal

    from flowctl.spec import CacheSpec, ResourcesSpec, SecretSpec



@cache
def _suffixes() -> dict[str, Decimal]:
    """The multiplier of each quantity suffix (``decimal`` loads only when a quantity is checked)."""
    from decimal import Decimal

    return {
        "": Decimal(1), "m": Decimal("0.001"), "k": Decimal(10) ** 3, "M": Decimal(10) ** 6, "G": Decimal(10) ** 9,
        "T": Decimal(10) ** 12, "P": Decimal(10) ** 15, "E": Decimal(10) ** 18,
        "Ki": Decimal(2) ** 10, "Mi": Decimal(2) ** 20, "Gi": Decimal(2) ** 30, "Ti": Decimal(2) ** 40,
        "Pi": Decimal(2) ** 50, "Ei": Decimal(2) ** 60,
    }

# compiled on first use (re caches it): most tasks, and attempts, check no quantity
_QUANTITY = r"^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE]([+-]?[0-9]+))?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$"


def parse_quantity(text: str) -> Decimal:
    """A Kubernetes quantity (``500m``, ``2Gi``, ``1.5``, ``1e3``) as a number; ValueError if invalid."""
    match = re.match(_QUANTITY, text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"`{text}` is not a Kubernetes quantity (examples: 500m, 2, 512Mi, 4Gi)")
    from decimal import Decimal, InvalidOperation

    number, exponent, suffix = match.groups()
    try:
        value = Decimal(number) * (Decimal(10) ** int(exponent or 0))
    except InvalidOperation:
        raise ValueError(f"`{text}` is not a Kubernetes quantity") from None
    return value * _suffixes()[suffix or ""]


Quantity = str | int | float
_FIELDS = ("cpu", "mem", "gpu", "ephemeral_storage")


@record(frozen=True)
class Resources:
    """CPU, memory, GPUs and ephemeral storage in Kubernetes quantity syntax.

    ``Resources(cpu="500m", mem="2Gi", gpu=1, ephemeral_storage="10Gi")``; numbers are accepted for
    ``cpu`` and ``mem`` (``cpu=2``); ``gpu`` is a whole number, also as text (``gpu="1"``, as in
    flytekit). For ``@task(resources=...)`` a value may be a ``(request, limit)`` pair.
    """

    cpu: Quantity | tuple[Quantity, Quantity] | None = None
    mem: Quantity | tuple[Quantity, Quantity] | None = None
    gpu: int | str | tuple[int | str, int | str] | None = None
    ephemeral_storage: Quantity | tuple[Quantity, Quantity] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "gpu", _whole(self.gpu))
        problems = self.problems()
        if problems:
            raise ManifestError(
                "Invalid Resources: " + "; ".join(problems),
                source=frame_location(2),
                detail="Use Kubernetes quantities, e.g. Resources(cpu=\"500m\", mem=\"2Gi\", gpu=1).",
            )

    def problems(self) -> list[str]:
        found: list[str] = []
        for name in _FIELDS:
            values = _pair(getattr(self, name))
            if isinstance(getattr(self, name), tuple | list) and len(values) != 2:
                found.append(f"{name} is a (request, limit) pair or one value, got {getattr(self, name)!r}")
                continue
            for value in values:
                found.extend(_problem(name, value))
        return found

    def has_pairs(self) -> bool:
        return any(isinstance(getattr(self, n), tuple) for n in _FIELDS)

    def split(self) -> tuple[Resources, Resources]:
        """(requests, limits): a pair gives both, a single value is the request and the limit."""
        requests = {n: _pair(getattr(self, n))[0] for n in _FIELDS if getattr(self, n) is not None}
        limits = {n: _pair(getattr(self, n))[-1] for n in _FIELDS if getattr(self, n) is not None}
        return Resources(**requests), Resources(**limits)

    def to_spec(self) -> ResourcesSpec:
        def text(value: object) -> str | None:
            return None if value is None else str(value)

        if self.has_pairs():
            raise ManifestError("A (request, limit) pair in Resources is only for @task(resources=...)",
                                source=frame_location(3), detail="Give requests= and limits= single values.")
        gpu = self.gpu if isinstance(self.gpu, int) else None
        from flowctl.spec import ResourcesSpec

        return ResourcesSpec(cpu=text(self.cpu), mem=text(self.mem), gpu=gpu, ephemeral_storage=text(self.ephemeral_storage))


def _pair(value: Any) -> tuple[Any, ...]:
    if isinstance(value, tuple | list):
        return tuple(value)
    return () if value is None else (value,)


def _whole(value: Any) -> Any:
    """``gpu="2"`` -> 2 (pairs element-wise); anything else is left for ``problems`` to judge."""
    if isinstance(value, tuple | list):
        return tuple(_whole(v) for v in value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value


def _problem(name: str, value: Any) -> list[str]:
    if name == "gpu":
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        return [] if ok else [f"gpu must be a whole number >= 0, got {value!r}"]
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return [f"{name} must be a quantity string or a number, got {value!r}"]
    try:
        return [f"{name} must not be negative"] if parse_quantity(str(value)) < 0 else []
    except ValueError as exc:
        return [f"{name}: {exc}"]


def compare_requests_limits(requests: Resources, limits: Resources) -> list[str]:
    """Problems where a request exceeds its limit."""
    found = []
    for name in ("cpu", "mem", "gpu", "ephemeral_storage"):
        req, lim = getattr(requests, name), getattr(limits, name)
        if req is not None and lim is not None and parse_quantity(str(req)) > parse_quantity(str(lim)):
            found.append(f"requests.{name}={req} is more than limits.{name}={lim}")
    return found


@record(frozen=True)
class Cache:
    """Cache a task's outputs by its inputs.

    ``version=None`` derives the version from the task's code and interface (a code change is never
    served a stale result); a string pins it. ``ignored_inputs`` do not count for the cache key.
    """

    version: str | None = None
    ignored_inputs: tuple[str, ...] | Sequence[str] = ()

    def to_spec(self, derived_version: str) -> CacheSpec:
        from flowctl.spec import CacheSpec

        return CacheSpec(version=self.version or derived_version, ignored_inputs=tuple(sorted(self.ignored_inputs)))


@record(frozen=True)
class Secret:
    """A reference to a secret: a Kubernetes Secret ``group``, optionally one ``key`` of it.

    The value is never stored by flowctl; tasks read it from ``env_var`` or a file under ``mount_path``.
    """

    group: str
    key: str | None = None
    env_var: str | None = None
    mount_path: str | None = None

    def to_spec(self) -> SecretSpec:
        from flowctl.spec import SecretSpec

        return SecretSpec(group=self.group, key=self.key, env_var=self.env_var, mount_path=self.mount_path)


@record(frozen=True)
class PodTemplate:
    """A partial Kubernetes pod spec merged into the pod of a task (``primary_container_name`` is the task).

    ``pod_spec`` is the Kubernetes API's JSON (camelCase: ``nodeSelector``) or ``kubernetes.client``
    model objects (``V1PodSpec(node_selector=...)``), which are stored as that JSON.
    """

    pod_spec: Mapping[str, Any] | Any = field(default_factory=dict)
    primary_container_name: str = "primary"
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Json]:
        return {
            "pod_spec": api_json(self.pod_spec),
            "primary_container_name": self.primary_container_name,
            "labels": dict(self.labels),
            "annotations": dict(self.annotations),
        }


def api_json(value: Any) -> dict[str, Json]:
    """``value`` as the Kubernetes API's JSON: client model objects (anywhere inside) go through
    ``ApiClient().sanitize_for_serialization`` (camelCase field names, unset fields left out)."""
    if _has_model(value):
        from kubernetes.client import ApiClient  # the user built the models: the client is there

        with ApiClient() as api:
            value = api.sanitize_for_serialization(value)
    if not isinstance(value, Mapping):
        raise ManifestError("Invalid pod_spec of a PodTemplate",
                            detail=f"Got {type(value).__name__}; give a V1PodSpec or a dict in the API's JSON form.")
    return dict(value)


def _has_model(value: Any) -> bool:
    if hasattr(value, "openapi_types") and hasattr(value, "attribute_map"):
        return True
    if isinstance(value, Mapping):
        return any(_has_model(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_model(v) for v in value)
    return False
