from __future__ import annotations

import os

from flowctl.state import ci_run_url, holder, lock_info, new_apply_record


def test_ci_run_url_from_github_and_gitlab() -> None:
    github = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/ml", "GITHUB_RUN_ID": "42"}
    assert ci_run_url(github) == "https://github.com/acme/ml/actions/runs/42"
    assert ci_run_url({"CI_JOB_URL": "https://gitlab.example/acme/ml/-/jobs/7"}) == "https://gitlab.example/acme/ml/-/jobs/7"
    assert ci_run_url({}) is None


def test_holder_and_records() -> None:
    assert holder().endswith(f":{os.getpid()}") and "@" in holder()
    info = lock_info("apply", "plan.out")
    assert (info.operation, info.info, info.holder) == ("apply", "plan.out", holder())
    record = new_apply_record("apply", plan={"a": 1}, desired_state={}, summary="s", environ={"CI_JOB_URL": "u"})
    assert record.ci_run_url == "u" and record.operation == "apply" and record.applied_at.tzinfo is not None
