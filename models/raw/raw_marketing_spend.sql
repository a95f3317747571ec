-- Raw marketing_spend as found in RAW_DATA_DIR (CSV or Parquet); see macros/raw/select_raw_file.sql.
{{ select_raw_file('marketing_spend') }}
