"""The bad-input corpus: small raw datasets, each broken in exactly one way."""
