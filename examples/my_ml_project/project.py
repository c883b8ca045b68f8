"""The manifest of my-ml-project: what runs where.

    Project: my-ml-project
    ├── development   training_wf and standard_scale_workflow from the current code
    │                 (every commit applied adds a version, named by its git SHA; all kept)
    │                 nightly_training_lp on a cron schedule
    ├── staging       exactly what development ran before the apply (promoted, never rebuilt)
    └── production    exactly what staging ran before the apply, or the version pinned below,
                      once that version succeeded in staging and someone approved it;
                      nightly_training_lp with fixed inputs

One apply moves a change one step: development, then staging, then production.
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
# The gates: what a version needs before production gets it (the plan shows their status). Approve with
# `flowctl promote my-ml-project staging production --approve`; soak="24h" would also hold it until it
# has been active in staging for a day.
production.register(
    training_wf,
    version=promoted_from("staging", version=PRODUCTION_PIN, require_successes=1, require_approval=True),
)
production.launch_plan(nightly_training_lp, active=True, fixed_inputs={"epochs": 10, "learning_rate": 0.05})
