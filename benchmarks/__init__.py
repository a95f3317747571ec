"""Performance benchmark of the warehouse (``make bench``); see BENCHMARKS.md."""
