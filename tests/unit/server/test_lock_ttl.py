"""The longest registry lock TTL a client of the server may ask for (``locks.max_ttl``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowctl._config import Config
from flowctl._errors import InputError
from flowctl.server._leases import max_ttl_of


def test_the_cap_defaults_to_five_minutes(tmp_path: Path) -> None:
    assert max_ttl_of(Config(cwd=tmp_path)) == 300
    assert max_ttl_of(Config(flags={"locks.max_ttl": "1200"}, cwd=tmp_path)) == 1200


@pytest.mark.parametrize("value", ["0", "3601", "5m", "-1", ""])
def test_an_invalid_cap_names_the_setting(tmp_path: Path, value: str) -> None:
    with pytest.raises(InputError, match=r"Invalid locks.max_ttl") as error:
        max_ttl_of(Config(flags={"locks.max_ttl": value}, cwd=tmp_path))
    assert "from 1 to 3600" in str(error.value)
