"""The type engine: which Python types tasks may take and return, and their canonical JSON forms.

``type_spec_of`` describes an annotation as a :class:`flowctl.spec.TypeSpec`; ``to_json_value`` /
``from_json_value`` convert values (validated by pydantic); ``validate_json_against`` checks a JSON
value when only the ``TypeSpec`` is known (launch-time input checks); ``parse_cli_value`` reads a
command-line value.
"""

from flowctl.types._engine import (
    SUPPORTED,
    UnsupportedTypeError,
    adapter_for,
    from_json_value,
    is_namedtuple,
    parse_cli_value,
    to_json_value,
    type_name,
    type_spec_of,
    validate_json_against,
    validate_value,
)
from flowctl.types._files import FlowDirectory, FlowFile, FlyteDirectory, FlyteFile
from flowctl.types._frames import writing_frames_to
from flowctl.types._structured import StructuredDataset, StructuredDatasetType, kwtypes

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
