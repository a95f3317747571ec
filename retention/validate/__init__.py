"""Great Expectations validation of the marts (see retention/validate/suites.py)."""
