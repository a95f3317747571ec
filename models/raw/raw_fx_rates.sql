-- Your own exchange rates (optional): RAW_DATA_DIR/fx_rates.csv (.csv.gz, .parquet or a folder
-- fx_rates/), a contract file under every RAW_FORMAT (beside the store folders of an adapter);
-- see macros/raw/select_raw_file.sql.
{{ select_raw_file('fx_rates') }}
