"""Retention-uplift scenarios: what a store's active customers and revenue become when its
yearly customer retention rate is raised by a few points (reference of rpt_retention_scenarios)."""

from retention.scenarios.projection import ScenarioInputs, ScenarioResult, project

__all__ = ["ScenarioInputs", "ScenarioResult", "project"]
