"""Desired state vs registry: plan model, diff, renderers, saved plans, apply."""
