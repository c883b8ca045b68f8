"""The manifest of my-ml-project: what runs where.

    Project: my-ml-project
    ├── development   training_wf and standard_scale_workflow from the current code
    │                 (every apply at a new version adds one: v1, v2, v3 ... all kept)
    │                 nightly_training_lp on a cron schedule
    ├── staging       exactly what development runs (promoted, never rebuilt)
    └── production    exactly what staging runs, or the version pinned below;
                      nightly_training_lp with fixed inputs

`flowctl plan examples/my_ml_project` shows what would change; `flowctl apply` makes it so.
"""

from __future__ import annotations

from flows.scaling import standard_scale_workflow
from flows.training import nightly_training_lp, training_wf

from flowctl import Email, Project, Resources, promoted_from

# Production follows staging. To hold production at one version while staging moves on, pin it:
# PRODUCTION_PIN = "3f2a9c0d1e2f"  (a version registered in staging; the plan shows it as promoted)
PRODUCTION_PIN: str | None = None

project = Project(
    "my-ml-project",
    description="Training and scaling pipelines of the ML team",
    domains=["development", "staging", "production"],
    labels={"team": "ml"},
)

development = project.domain("development")
development.register(training_wf)  # version: the git SHA of this repository (or --version)
development.register(standard_scale_workflow)
development.launch_plan(nightly_training_lp, active=True)

staging = project.domain("staging", requests=Resources(cpu="500m", mem="1Gi"))
staging.register(training_wf, version=promoted_from("development"))
staging.register(standard_scale_workflow, version=promoted_from("development"))

production = project.domain("production").settings(
    requests=Resources(cpu="1", mem="2Gi"),
    limits=Resources(cpu="2", mem="4Gi"),
    service_account="ml-production",
    environment={"LOG_LEVEL": "info"},
    notifications=[Email(recipients_email=["ml-oncall@example.com"], phases=["failed", "timed_out"])],
)
production.register(training_wf, version=promoted_from("staging", version=PRODUCTION_PIN))
production.launch_plan(nightly_training_lp, active=True, fixed_inputs={"epochs": 10, "learning_rate": 0.05})
