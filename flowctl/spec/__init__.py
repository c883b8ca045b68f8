"""Compiled specs: the contract between the SDK, plans, the registry and the providers.

Frozen pydantic models with canonical JSON (``to_json``/``canonical``) and a sha256 ``digest``.

Only the canonical JSON helpers load with the package; the models are resolved on first use
(PEP 562), so what needs JSON text only (an attempt writing its outputs, the blob store) never
imports pydantic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flowctl import _lazy
from flowctl.spec._canonical import Json, canonical_json, digest_of, sha256_hex

if TYPE_CHECKING:
    from flowctl.spec._entities import (
        WORKFLOW_INPUTS_NODE,
        Binding,
        BranchCaseSpec,
        BranchSpec,
        CacheSpec,
        CodeSpec,
        ComparisonSpec,
        Condition,
        ConjunctionSpec,
        GateSpec,
        InputSpec,
        InterfaceSpec,
        LaunchPlanSpec,
        ListBinding,
        LiteralBinding,
        MapBinding,
        MapSpec,
        NodeOverridesSpec,
        NodeSpec,
        NotificationSpec,
        OutputSpec,
        Phase,
        PromiseBinding,
        ReferenceSpec,
        ResourcesSpec,
        ScheduleSpec,
        SecretSpec,
        Spec,
        TaskSpec,
        WorkflowSpec,
    )
    from flowctl.spec._manifest import (
        DEFAULT_DOMAINS,
        ActivationSpec,
        DesiredState,
        DomainSettingsSpec,
        EntitySpec,
        ProjectSpec,
        PromotionGates,
        RegistrationSpec,
    )
    from flowctl.spec._phases import WorkflowExecutionPhase
    from flowctl.spec._types import TypeKind, TypeSpec, is_assignable

_LAZY_EXPORTS: dict[str, str] = {
    **dict.fromkeys(
        (
            "WORKFLOW_INPUTS_NODE", "Binding", "BranchCaseSpec", "BranchSpec", "CacheSpec",
            "CodeSpec", "ComparisonSpec", "Condition", "ConjunctionSpec", "GateSpec", "InputSpec",
            "InterfaceSpec", "LaunchPlanSpec", "ListBinding", "LiteralBinding", "MapBinding",
            "MapSpec", "NodeOverridesSpec", "NodeSpec", "NotificationSpec", "OutputSpec", "Phase",
            "PromiseBinding", "ReferenceSpec", "ResourcesSpec", "ScheduleSpec", "SecretSpec",
            "Spec", "TaskSpec", "WorkflowSpec",
        ),
        "flowctl.spec._entities",
    ),
    **dict.fromkeys(
        (
            "DEFAULT_DOMAINS", "ActivationSpec", "DesiredState", "DomainSettingsSpec", "EntitySpec",
            "ProjectSpec", "PromotionGates", "RegistrationSpec",
        ),
        "flowctl.spec._manifest",
    ),
    **dict.fromkeys(
        (
            "WorkflowExecutionPhase",
        ),
        "flowctl.spec._phases",
    ),
    **dict.fromkeys(
        (
            "TypeKind", "TypeSpec", "is_assignable",
        ),
        "flowctl.spec._types",
    ),
}  # fmt: skip


def __getattr__(name: str) -> Any:
    return _lazy.resolve(__name__, _LAZY_EXPORTS, globals(), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_EXPORTS))


__all__ = [
    "DEFAULT_DOMAINS",
    "WORKFLOW_INPUTS_NODE",
    "ActivationSpec",
    "Binding",
    "BranchCaseSpec",
    "BranchSpec",
    "CacheSpec",
    "CodeSpec",
    "ComparisonSpec",
    "Condition",
    "ConjunctionSpec",
    "DesiredState",
    "DomainSettingsSpec",
    "EntitySpec",
    "GateSpec",
    "InputSpec",
    "InterfaceSpec",
    "Json",
    "LaunchPlanSpec",
    "ListBinding",
    "LiteralBinding",
    "MapBinding",
    "MapSpec",
    "NodeOverridesSpec",
    "NodeSpec",
    "NotificationSpec",
    "OutputSpec",
    "Phase",
    "ProjectSpec",
    "PromiseBinding",
    "PromotionGates",
    "ReferenceSpec",
    "RegistrationSpec",
    "ResourcesSpec",
    "ScheduleSpec",
    "SecretSpec",
    "Spec",
    "TaskSpec",
    "TypeKind",
    "TypeSpec",
    "WorkflowExecutionPhase",
    "WorkflowSpec",
    "canonical_json",
    "digest_of",
    "is_assignable",
    "sha256_hex",
]
