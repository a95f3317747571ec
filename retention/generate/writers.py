"""Streaming writers: one open Parquet or CSV file per table, fed chunk by chunk."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from retention.generate.schema import SCHEMAS

FORMATS = ("parquet", "csv")
FLUSH_ROWS = 500_000  # small chunks are buffered so row groups are not tiny


class TableWriter:
    """Buffers chunks of one table and appends them to ``NAME.parquet`` or ``NAME.csv``."""

    def __init__(self, out_dir: Path, name: str, fmt: str) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; expected one of {FORMATS}")
        self.schema = SCHEMAS[name]
        self.path = out_dir / f"{name}.{fmt}"
        self.rows = 0
        self._buffer: list[pa.Table] = []
        self._buffered = 0
        self._writer: pq.ParquetWriter | pacsv.CSVWriter
        self._file: BinaryIO | None = None
        if fmt == "parquet":
            self._writer = pq.ParquetWriter(
                self.path, self.schema, compression="zstd", write_statistics=True
            )
        else:
            # Plain header (pyarrow would quote the names); values are never quoted: the
            # generator writes no commas, quotes or newlines (pyarrow raises if it did).
            self._file = open(self.path, "wb")  # noqa: SIM115 - closed in close()
            self._file.write((",".join(self.schema.names) + "\n").encode())
            options = pacsv.WriteOptions(include_header=False, quoting_style="none")
            self._writer = pacsv.CSVWriter(self._file, self.schema, write_options=options)

    def write(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        self._buffer.append(table.cast(self.schema))
        self._buffered += table.num_rows
        self.rows += table.num_rows
        if self._buffered >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self._buffer:
            return
        table = pa.concat_tables(self._buffer).combine_chunks()
        self._buffer, self._buffered = [], 0
        if isinstance(self._writer, pq.ParquetWriter):
            self._writer.write_table(table, row_group_size=1_000_000)
        else:
            self._writer.write_table(table)

    def close(self) -> None:
        self.flush()
        self._writer.close()
        if self._file is not None:
            self._file.close()


class WriterSet:
    """All raw tables of one run; use as a context manager."""

    def __init__(self, out_dir: Path, fmt: str) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self.writers = {name: TableWriter(out_dir, name, fmt) for name in SCHEMAS}

    def write(self, name: str, table: pa.Table) -> None:
        self.writers[name].write(table)

    def rows(self) -> dict[str, int]:
        return {name: w.rows for name, w in self.writers.items()}

    def __enter__(self) -> WriterSet:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for writer in self.writers.values():
            writer.close()
