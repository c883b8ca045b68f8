"""A controller step claims up to its batch: executions it already holds do not take the room of new ones."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from spec_flows import D, P, chain, register_specs

from flowctl._blobstore import BlobStore
from flowctl.engine import Controller, EngineContext, launch
from flowctl.providers._interface import SubmitRequest
from flowctl.providers.testing import FakeProvider
from flowctl.state._executions import open_execution_store


def test_a_step_fills_its_batch_beside_the_executions_it_holds(registry_url: str, tmp_path: Path) -> None:
    register_specs(registry_url, chain(1))

    def runs_on(_request: SubmitRequest) -> None:
        return None  # the attempt keeps running

    ctx = EngineContext(open_execution_store(registry_url), FakeProvider(runs_on), BlobStore(str(tmp_path / "b")))
    ctx.options = replace(ctx.options, claim_batch=4)
    older = [launch(ctx.store, P, D, "chain1", {"x": i}).id for i in range(2)]
    controller = Controller(ctx, schedules=False, notifications=False)
    controller.step()
    assert controller.held == set(older)
    newer = [launch(ctx.store, P, D, "chain1", {"x": i}).id for i in range(3)]
    controller.step()
    # before: the claim's room (batch - held = 2) went to the oldest claimable rows, which were the
    # two held already, so no new execution was claimed while the old ones ran
    assert controller.held == set(older + newer[:2]), controller.held
    controller.shutdown()
