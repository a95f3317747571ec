"""Synthetic raw-data generator of the retention warehouse (see docs/raw-data.md)."""

from retention.generate.run import GenerationSummary, generate

__all__ = ["GenerationSummary", "generate"]
