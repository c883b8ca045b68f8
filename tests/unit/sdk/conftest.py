from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "workflows"


@pytest.fixture
def load_fixture() -> Callable[[str], ModuleType]:
    from flowctl._runtime import import_file

    def load(name: str) -> ModuleType:
        return import_file(FIXTURES / f"{name}.py")

    return load
