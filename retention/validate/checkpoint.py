"""Run the Great Expectations checkpoint over every contract mart in a warehouse."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import great_expectations as gx
from great_expectations.checkpoint import UpdateDataDocsAction
from great_expectations.core.expectation_validation_result import (
    ExpectationSuiteValidationResult,
    ExpectationValidationResult,
)

from retention.validate.context import (
    BATCH_DEFINITION,
    DATA_DOCS_INDEX,
    DATASOURCE,
    GX_DIR,
    close_datasource,
    exclusive_use,
    open_context,
    read_facts,
)
from retention.validate.suites import CONTRACT_MARTS, WarehouseFacts, build_suite

CHECKPOINT = "marts"
SECONDS_KEY = "retention_seconds"


class TimedCheckpoint(gx.Checkpoint):
    """A GX checkpoint that records each validation definition's run time in its meta.

    Same loop as `Checkpoint._run_validation_definitions` (GX 1.24.1), timed.
    """

    def _run_validation_definitions(  # type: ignore[override]
        self,
        batch_parameters: dict[str, Any],
        expectation_parameters: Any,
        result_format: Any,
        run_id: Any,
    ) -> dict[Any, ExpectationSuiteValidationResult]:
        run_results: dict[Any, ExpectationSuiteValidationResult] = {}
        for definition in self.validation_definitions:
            started = time.perf_counter()
            result = definition.run(
                checkpoint_id=self.id,
                batch_parameters=batch_parameters,
                expectation_parameters=expectation_parameters,
                result_format=result_format,
                run_id=run_id,
            )
            result.meta[SECONDS_KEY] = round(time.perf_counter() - started, 3)
            key = self._build_result_key(
                validation_definition=definition, run_id=run_id, batch_identifier=result.batch_id
            )
            run_results[key] = result
        return run_results


@dataclass
class SuiteOutcome:
    mart: str
    expectations: int
    failed: list[str]
    skipped: list[str]
    seconds: float


@dataclass
class ValidationReport:
    warehouse: Path
    facts: WarehouseFacts
    suites: list[SuiteOutcome] = field(default_factory=list)
    missing_marts: list[str] = field(default_factory=list)
    require_all: bool = False
    seconds: float = 0.0
    data_docs: Path | None = None

    @property
    def failed(self) -> list[str]:
        return [name for suite in self.suites for name in suite.failed]

    @property
    def skipped(self) -> list[str]:
        """Expectations that could not run (a column or relation they read is absent)."""
        return [f"{suite.mart}: {note}" for suite in self.suites for note in suite.skipped]

    @property
    def success(self) -> bool:
        """Every expectation ran and held; with require_all, nothing absent or skipped."""
        evaluated = sum(suite.expectations for suite in self.suites)
        incomplete = self.require_all and bool(self.missing_marts or self.skipped)
        return evaluated > 0 and not self.failed and not incomplete


def _describe_failure(result: ExpectationValidationResult) -> str:
    config = result.expectation_config
    name = config.description or config.type
    details = result.result or {}
    error = _exception_message(result.exception_info or {})
    if error:
        return f"{name} [{config.type}] raised: {error}"
    for key in ("unexpected_count", "observed_value"):
        if key in details:
            return f"{name} [{config.type}] {key}={details[key]}"
    return f"{name} [{config.type}]"


def _exception_message(info: dict[str, Any]) -> str | None:
    """The first error message in GX's exception_info (flat, or keyed by metric)."""
    if info.get("raised_exception"):
        message = str(info.get("exception_message") or "error")
        return message.strip().splitlines()[0][:200]
    for value in info.values():
        if isinstance(value, dict):
            message = _exception_message(value)
            if message:
                return message
    return None


def _failures(result: ExpectationSuiteValidationResult) -> list[str]:
    # GX marks an expectation whose metric raised as unsuccessful too, so an
    # error (e.g. the DuckDB patch no longer working) fails the checkpoint.
    return [_describe_failure(r) for r in result.results if not r.success]


def run_checkpoint(
    warehouse: Path,
    *,
    require_all: bool = False,
    build_docs: bool = False,
    only: Sequence[str] | None = None,
    gx_dir: Path = GX_DIR,
) -> ValidationReport:
    """Validate every contract mart present in `warehouse`; never raises on bad data.

    `only` restricts the run to some marts (the others are neither validated
    nor reported absent).
    """
    started = time.perf_counter()
    if not warehouse.exists():
        raise FileNotFoundError(f"no warehouse at {warehouse}: run `make build` (or dbt build)")
    facts = read_facts(warehouse)
    report = ValidationReport(warehouse=warehouse, facts=facts, require_all=require_all)
    selected = [m for m in CONTRACT_MARTS if only is None or m in only]
    unknown = sorted(set(only or ()) - set(CONTRACT_MARTS))
    if unknown:
        raise ValueError(f"not contract marts: {unknown}")
    report.missing_marts = [m for m in selected if m not in facts.columns]

    with exclusive_use(gx_dir):
        _validate(report, selected, facts, gx_dir, build_docs)
    report.seconds = time.perf_counter() - started
    return report


def _validate(
    report: ValidationReport,
    selected: Sequence[str],
    facts: WarehouseFacts,
    gx_dir: Path,
    build_docs: bool,
) -> None:
    """The checkpoint run of run_checkpoint, results into `report`."""
    context = open_context(report.warehouse, gx_dir)
    datasource = context.data_sources.get(DATASOURCE)
    definitions = []
    skipped: dict[str, list[str]] = {}
    for mart in selected:
        if mart not in facts.columns:
            continue
        builder = build_suite(mart, facts)
        skipped[mart] = builder.skipped
        suite = context.suites.add(builder.build())
        try:
            asset = datasource.get_asset(mart)
        except LookupError as error:
            close_datasource(datasource)
            raise ValueError(
                f"no query asset {mart} in {gx_dir}/great_expectations.yml: add one "
                "(like the other marts') for its suite"
            ) from error
        batch = asset.get_batch_definition(BATCH_DEFINITION)
        definitions.append(
            context.validation_definitions.add(
                gx.ValidationDefinition(name=mart, data=batch, suite=suite)
            )
        )
    actions = [UpdateDataDocsAction(name="update_data_docs")] if build_docs else []
    checkpoint = TimedCheckpoint(
        name=CHECKPOINT,
        validation_definitions=definitions,
        actions=actions,
        result_format={"result_format": "SUMMARY"},
    )
    context.checkpoints.add(checkpoint)
    result = checkpoint.run()
    for run_result in result.run_results.values():
        mart = run_result.suite_name
        seconds = float(run_result.meta.get(SECONDS_KEY, 0.0))
        report.suites.append(
            SuiteOutcome(
                mart=mart,
                expectations=len(run_result.results),
                failed=_failures(run_result),
                skipped=skipped.get(mart, []),
                seconds=seconds,
            )
        )
    if build_docs:
        context.build_data_docs()
        report.data_docs = gx_dir / DATA_DOCS_INDEX
    # the patch keeps one read-only DuckDB connection per engine: close it, or
    # this process would keep dbt (a writer) out of the file
    close_datasource(datasource)


def report_summary(report: ValidationReport) -> dict[str, Any]:
    """The report as JSON-ready data (`python -m retention.validate --json-report`)."""
    return {
        "warehouse": str(report.warehouse),
        "success": report.success,
        "require_all": report.require_all,
        "missing_marts": report.missing_marts,
        "failed": report.failed,
        "skipped": report.skipped,
        "seconds": round(report.seconds, 3),
        "suites": [
            {
                "mart": suite.mart,
                "expectations": suite.expectations,
                "failed": suite.failed,
                "skipped": suite.skipped,
                "seconds": round(suite.seconds, 3),
            }
            for suite in report.suites
        ],
    }


def format_report(report: ValidationReport) -> str:
    facts = report.facts
    lines = [
        f"Great Expectations checkpoint '{CHECKPOINT}' on {report.warehouse}",
        f"  as_of_date {facts.as_of_date} (from {facts.as_of_source}); "
        f"RFM segments from {facts.rfm_segments_source}",
    ]
    for mart in report.missing_marts:
        level = "ERROR" if report.require_all else "WARNING"
        lines.append(f"  {level}: contract mart marts.{mart} is absent: not validated")
    lines.append(f"  {'suite':<34}{'expectations':>13}{'failed':>8}{'skipped':>9}{'seconds':>9}")
    for suite in report.suites:
        lines.append(
            f"  {suite.mart:<34}{suite.expectations:>13}{len(suite.failed):>8}"
            f"{len(suite.skipped):>9}{suite.seconds:>9.2f}"
        )
    level = "ERROR" if report.require_all else "note"
    for note in report.skipped:
        lines.append(f"  {level}: could not run {note}")
    for failure in report.failed:
        lines.append(f"  FAILED: {failure}")
    if report.data_docs is not None:
        lines.append(f"  Data Docs: file://{report.data_docs}")
    verdict = "PASSED" if report.success else "FAILED"
    evaluated = sum(s.expectations for s in report.suites)
    lines.append(
        f"Validation {verdict}: {evaluated} expectations on {len(report.suites)} marts, "
        f"{len(report.failed)} failed, {len(report.skipped)} could not run, "
        f"{report.seconds:.1f} s"
    )
    return "\n".join(lines)
