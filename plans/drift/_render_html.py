"""The HTML view: one self-contained page (inline CSS, no scripts, no external assets).

Project/domains with errors come first and, inside each, errors before warnings; digests stay on one line.

Rendered with Jinja2 from ``templates/report.html.j2`` with autoescaping, so registry content
(names, reasons, spec values) cannot inject markup.
"""

from __future__ import annotations

from pathlib import Path

from flowctl.plans.drift._format import by_severity, field_rows, header_lines, is_digest, value_text, when
from flowctl.plans.drift._model import DriftReport

TEMPLATES = Path(__file__).parent / "templates"


def render_html(report: DriftReport) -> str:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    template = env.get_template("report.html.j2")
    return template.render(
        report=report,
        groups=by_severity(report.groups()),
        is_digest=is_digest,
        header=header_lines(report),
        legend=list(report.symbols_used()),
        field_rows=field_rows,
        value_text=value_text,
        when=when,
        errors=sum(1 for f in report.findings if f.severity == "error"),
        warnings=sum(1 for f in report.findings if f.severity == "warning"),
    )
