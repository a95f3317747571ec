-- Your own exchange rates (optional), as found in RAW_DATA_DIR; see macros/raw/select_raw_file.sql.
{{ select_raw_file('fx_rates') }}
