"""flowctl.sdk's quantity parser agrees with ``kubernetes.utils.parse_quantity``.

The SDK keeps its own parser: ``kubernetes`` is an optional extra, and importing
``kubernetes.utils`` loads the whole API client (seconds), which ``@task(resources=...)`` in a local
run must not pay. This test keeps the two from drifting apart.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kubernetes.utils.quantity import parse_quantity as kube_parse_quantity

from flowctl.sdk._options import parse_quantity

SUFFIXES = ["", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]


@pytest.mark.parametrize("text", ["500m", "2", "1.5", "512Mi", "4Gi", "1e3", "1E-2", ".5", "0", "10k", "1Ei"])
def test_examples_agree(text: str) -> None:
    assert parse_quantity(text) == Decimal(kube_parse_quantity(text))


@given(number=st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False, allow_infinity=False),
       suffix=st.sampled_from(SUFFIXES))
def test_generated_quantities_agree(number: Decimal, suffix: str) -> None:
    text = f"{number}{suffix}"
    assert parse_quantity(text) == Decimal(kube_parse_quantity(text))


@pytest.mark.parametrize("text", ["abc", "1x", "Gi", "", "1.2.3"])
def test_both_refuse_what_is_no_quantity(text: str) -> None:
    with pytest.raises(ValueError):
        kube_parse_quantity(text)
    with pytest.raises(ValueError, match="is not a Kubernetes quantity"):
        parse_quantity(text)
