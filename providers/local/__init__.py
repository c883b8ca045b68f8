"""The local provider: task attempts as processes on this machine."""

from flowctl.providers.local._provider import LocalProvider, failure_from_document

__all__ = ["LocalProvider", "failure_from_document"]
