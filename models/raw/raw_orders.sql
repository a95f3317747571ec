-- Raw orders as found in RAW_DATA_DIR (CSV or Parquet); see macros/raw/select_raw_table.sql (RAW_FORMAT).
{{ select_raw_table('orders') }}
