"""The manifest of the ported project: `flowctl plan examples/flyte_port --version v1`."""

from __future__ import annotations

from churn import churn_wf, nightly_churn

from flowctl import Project

project = Project("churn", description="The churn pipeline, ported from flytekit", domains=["development"])
development = project.domain("development")
development.register(churn_wf)
development.launch_plan(nightly_churn, active=True)
