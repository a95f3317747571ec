"""Python tooling around the retention warehouse dbt project.

`build` (make build: dbt build, validation, publishing), `generate` (synthetic
raw data), `clv` (BG/NBD + Gamma-Gamma fitting and scoring, called by dbt
Python models), `validate` (Great Expectations), `report` (offline HTML
report), `spark` (the CLV step and DuckDB-vs-Spark comparison), `dbt` (running
dbt from Python).
"""
