"""Great Expectations validation of the marts (suites: retention/validate/suites/)."""
