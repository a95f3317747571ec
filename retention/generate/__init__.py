"""Synthetic raw-data generator of the retention warehouse (see CONTRACT.md section 3)."""

from retention.generate.run import GenerationSummary, generate

__all__ = ["GenerationSummary", "generate"]
