"""``ImageSpec``: flytekit's description of a task image, recorded (never built) by flowctl.

``@task(container_image=ImageSpec(name="train", registry="ghcr.io/acme", packages=["torch"]))``
sets the task's image to ``image_name()`` (``ghcr.io/acme/train:<tag>``) and records the spec in
the task spec, so ``flowctl plan`` shows it and a changed spec is a new version. The tag is a
digest of the spec's content unless ``tag_format``/``tag`` pins it. Building and pushing the image
is left to your CI (``docker build`` or flytekit's ``envd`` builder): flowctl only names it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from flowctl._errors import ManifestError
from flowctl.sdk._source import frame_location
from flowctl.spec import Json, digest_of

_LIST_FIELDS = ("packages", "apt_packages", "conda_packages", "conda_channels", "commands", "copy", "pip_extra_index_url")


@dataclass(frozen=True)
class ImageSpec:
    """An image by what goes into it. Only ``name`` is required (flytekit's default: ``flytekit``)."""

    name: str = "flytekit"
    registry: str | None = None
    base_image: str | None = None
    python_version: str | None = None
    packages: Sequence[str] = ()
    apt_packages: Sequence[str] = ()
    conda_packages: Sequence[str] = ()
    conda_channels: Sequence[str] = ()
    requirements: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    commands: Sequence[str] = ()
    copy: Sequence[str] = ()
    cuda: str | None = None
    cudnn: str | None = None
    platform: str = "linux/amd64"
    pip_index: str | None = None
    pip_extra_index_url: Sequence[str] = ()
    source_root: str | None = None
    builder: str | None = None
    tag: str | None = None  # flowctl: pin the tag instead of the content digest
    tag_format: str | None = None  # flytekit: "{spec_hash}-gpu" and the like

    def __post_init__(self) -> None:
        for name in _LIST_FIELDS:
            value = getattr(self, name)
            object.__setattr__(self, name, (value,) if isinstance(value, str) else tuple(value or ()))
        object.__setattr__(self, "env", dict(self.env or {}))
        if not isinstance(self.name, str) or not self.name or any(c.isspace() or c.isupper() for c in self.name):
            raise ManifestError(f"Invalid ImageSpec name {self.name!r}", source=frame_location(3),
                                detail="An image name is lower case without spaces, e.g. ImageSpec(name=\"train\").")

    def to_json(self) -> dict[str, Json]:
        """The spec as recorded in the task spec (empty fields left out)."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items() if v not in (None, (), {}, "")}

    @property
    def spec_hash(self) -> str:
        """A digest of everything that goes into the image (not the tag settings)."""
        content = {k: v for k, v in self.to_json().items() if k not in ("tag", "tag_format", "registry")}
        return digest_of(content).removeprefix("sha256:")[:20]

    def image_name(self) -> str:
        """``registry/name:tag`` as the task runs it."""
        tag = self.tag or (self.tag_format or "{spec_hash}").format(spec_hash=self.spec_hash)
        base = f"{self.registry.rstrip('/')}/{self.name}" if self.registry else self.name
        return f"{base}:{tag}"
