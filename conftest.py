"""Hermetic tests: the e-mail hash salt is the tests' own, whatever the
user's environment holds (PII_HASH_SALT must be set for any raw folder other
than the bundled sample and the fixtures; test_pii_salt.py unsets it itself)."""

import os

os.environ["PII_HASH_SALT"] = "retention-test-suite-salt"
