"""flowctl: Flyte's programming model with a Terraform-style control plane.

``import flowctl`` loads only the SDK and the specs (never typer, sqlmodel, kubernetes or rich).
"""

from flowctl._errors import FlowctlError, NonRetryable

__all__ = ["FlowctlError", "NonRetryable"]
