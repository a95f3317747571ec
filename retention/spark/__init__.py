"""Running the warehouse on Apache Spark (dbt-spark, session method).

- compare: row-for-row comparison of two builds' marts (no Spark needed);
- clv_step: the CLV fit and scoring on Spark tables (dbt-spark runs no Python model);
- parity: `make test-spark`, the sample built on Spark and compared with DuckDB.
"""
