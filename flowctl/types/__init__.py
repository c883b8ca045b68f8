"""The type engine: which Python types tasks may take and return, and their canonical JSON forms.

``type_spec_of`` describes an annotation as a :class:`flowctl.spec.TypeSpec`; ``to_json_value`` /
``from_json_value`` convert values (validated by pydantic); ``validate_json_against`` checks a JSON
value when only the ``TypeSpec`` is known (launch-time input checks); ``parse_cli_value`` reads a
command-line value (loaded on first use, PEP 562: it brings the boundary reader, ``_inputs``, which
a task attempt does not need).
"""

from typing import TYPE_CHECKING, Any

from flowctl import _lazy
from flowctl.types._engine import (
    SUPPORTED,
    UnsupportedTypeError,
    adapter_for,
    from_json_value,
    is_namedtuple,
    to_json_value,
    type_name,
    type_spec_of,
    validate_json_against,
    validate_value,
)
from flowctl.types._files import FlowDirectory, FlowFile, FlyteDirectory, FlyteFile
from flowctl.types._frames import writing_frames_to
from flowctl.types._structured import StructuredDataset, StructuredDatasetType, kwtypes

if TYPE_CHECKING:
    from flowctl.types._inputs import parse_cli_value

_LAZY_EXPORTS = {"parse_cli_value": "flowctl.types._inputs"}


def __getattr__(name: str) -> Any:
    return _lazy.resolve(__name__, _LAZY_EXPORTS, globals(), name)


__all__ = [
    "SUPPORTED",
    "FlowDirectory",
    "FlowFile",
    "FlyteDirectory",
    "FlyteFile",
    "StructuredDataset",
    "StructuredDatasetType",
    "UnsupportedTypeError",
    "adapter_for",
    "from_json_value",
    "is_namedtuple",
    "kwtypes",
    "parse_cli_value",
    "to_json_value",
    "type_name",
    "type_spec_of",
    "validate_json_against",
    "validate_value",
    "writing_frames_to",
]
