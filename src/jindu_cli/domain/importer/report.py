"""What an import tells: the report of one file, its rejected rows, and the problems that refuse a
row or a whole file."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from jindu_cli.errors import JinduError

KEEP_ERRORS = 1000  # rejected rows kept for the report; all of them go to --errors
# why a row whose 身份证号 was masked (an export written without --reveal) is refused
MASKED_ID = "是脱敏的号码（中间 8 位是 *），无法还原"


class FileProblem(JinduError):
    """The whole file cannot be imported (nothing of it was written)."""


class RowProblem(Exception):
    """A row refused: the field, its value and why. `outside_measure`: refused only for a date
    outside the person's measure, which a 强制记录 cell of 是 lets in."""

    def __init__(self, field: str, value: str, reason: str, outside_measure: bool = False,
                 unregistered: bool = False):
        super().__init__(reason)
        self.field = field
        self.value = value
        self.reason = reason
        self.outside_measure = outside_measure
        self.unregistered = unregistered  # a good ID of no one in the register


@dataclass
class Rejected:
    line: int
    column: str
    value: str
    reason: str
    outside_measure: bool = False
    unregistered: bool = False  # refused only because the register has no such person
    # the 18-character ID the row was refused for, as typed: never shown (the value is masked), only
    # matched across the files of one run (a log's unknown person, the register's refused row)
    typed_id: str = ""

    def as_dict(self) -> dict:
        return {"line": self.line, "column": self.column, "value": self.value, "reason": self.reason}


@dataclass
class Report:
    file: str
    kind: str
    encoding: str = ""
    sha256: str = ""
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    outside_measure: int = 0  # of the rejected rows, those refused only for a date outside the measure
    status: str = "imported"  # imported, duplicate, dry_run, strict_failed, failed
    message: str = ""
    unknown_columns: list[str] = field(default_factory=list)
    sheet: str = ""  # of an .xlsx file, the sheet read
    header_line: int = 0  # the line (of a CSV; the row of a sheet) the column names were read from
    above_header: int = 0  # rows that are not blank above it (a title, 填报单位...): not imported
    note_lines: int = 0  # the form's own lines among the rows (填表人：…, 合计): not imported, not counted in rows
    refused_before: int = 0  # of a repeat, the rows its last import refused
    transfers: int = 0  # of a register: people in execution it shows at another street (§9.11)
    transfers_dated: int = 0  # of those, dated by the file's 变更日期 (the others by the day of the import)
    referrals_linked: int = 0  # of a register: people it registers who were handed to the police from a screening
    referrals_untold: int = 0  # of a screening ledger: people its 已移交公安人数 counts beyond those registered
    updated_fields: Counter = field(default_factory=Counter)  # of a register: field -> people it changed for
    masked_ids: int = 0  # of the rejected rows, those refused for a masked 身份证号 (MASKED_ID)
    errors: list[Rejected] = field(default_factory=list)
    ledger_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("imported", "duplicate", "dry_run") and self.rejected == 0

    @property
    def all_in(self) -> bool:
        """Every row of the file is in the database: imported now without a refusal, or a repeat of
        an import that refused none."""
        return (self.status == "imported" and self.rejected == 0
                or self.status == "duplicate" and not self.refused_before)

    def count_update(self, changes: dict) -> None:
        """A row of a record already in: updated (which fields), or unchanged."""
        if changes:
            self.updated += 1
            self.updated_fields.update(changes.keys())
        else:
            self.unchanged += 1

    def reject(self, problem: Rejected) -> None:
        self.rejected += 1
        self.outside_measure += problem.outside_measure
        self.masked_ids += problem.reason == MASKED_ID
        if len(self.errors) < KEEP_ERRORS:
            self.errors.append(problem)

    def as_dict(self) -> dict:
        return {"file": self.file, "encoding": self.encoding, "rows": self.rows, "inserted": self.inserted,
                "updated": self.updated, "unchanged": self.unchanged, "rejected": self.rejected,
                "outside_measure": self.outside_measure,
                "kind": self.kind, "status": self.status, "message": self.message, "sha256": self.sha256,
                "unknown_columns": self.unknown_columns, "sheet": self.sheet, "header_line": self.header_line,
                "above_header": self.above_header, "note_lines": self.note_lines,
                "updated_fields": dict(self.updated_fields.most_common()), "ledger_id": self.ledger_id,
                "transfers": self.transfers, "transfers_dated": self.transfers_dated, "masked_ids": self.masked_ids,
                "referrals_linked": self.referrals_linked, "referrals_untold": self.referrals_untold,
                "errors": [e.as_dict() for e in self.errors]}


@dataclass
class Options:
    """What the clerk asked of one file's import."""

    kind: str
    as_of: date
    operator: str
    dry_run: bool = False
    strict: bool = False
    encoding: str | None = None
    sheet: str | None = None
    again: bool = False  # import a file even when the same bytes were imported before
    street: str | None = None  # the street of a ledger's rows that name none (a street office's own ledger)
