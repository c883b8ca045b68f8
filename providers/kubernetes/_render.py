"""Jinja2 templates to Kubernetes objects: packaged defaults, overridable per project/domain."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import yaml

from flowctl._errors import ProviderError

PACKAGE_TEMPLATES = Path(__file__).parent / "templates"


def search_path(template_dir: Path | None, project: str | None, domain: str | None) -> list[str]:
    """Most specific first: ``{dir}/{project}/{domain}``, ``{dir}/{project}``, ``{dir}``, the package."""
    folders: list[Path] = []
    if template_dir is not None:
        if project and domain:
            folders.append(template_dir / project / domain)
        if project:
            folders.append(template_dir / project)
        folders.append(template_dir)
    folders.append(PACKAGE_TEMPLATES)
    return [str(f) for f in folders]


def render_documents(
    name: str, variables: dict[str, Any], *, template_dir: Path | None = None, project: str | None = None,
    domain: str | None = None,
) -> list[dict[str, Any]]:
    """Render template ``name`` and parse its YAML documents (empty documents are dropped)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(search_path(template_dir, project, domain)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    try:
        template = env.get_template(name)
        text = template.render(**variables)
    except jinja2.TemplateError as exc:
        where = getattr(exc, "filename", None) or name
        line = getattr(exc, "lineno", None)
        raise ProviderError(
            f"Cannot render Kubernetes template {name}",
            detail=f"{type(exc).__name__}: {exc}\nFix the template (search path: {', '.join(search_path(template_dir, project, domain))}).",
            source=f"{where}:{line}" if line else str(where),
        ) from None
    try:
        docs = [d for d in yaml.safe_load_all(text) if d]
    except yaml.YAMLError as exc:
        raise ProviderError(
            f"Template {name} did not render valid YAML",
            detail=f"{exc}\nRendered text:\n{text}",
            source=str(template.filename),
        ) from None
    for doc in docs:
        if not isinstance(doc, dict) or "kind" not in doc or "apiVersion" not in doc:
            raise ProviderError(
                f"Template {name} rendered a document without kind/apiVersion",
                detail=f"Every YAML document must be a Kubernetes object.\nRendered text:\n{text}",
                source=str(template.filename),
            )
    return docs
