"""Import the registers, visit logs and test logs street offices send, and their ledgers of 宣传 and
筛查: CSV in UTF-8 (with or without BOM), GB18030/GBK or UTF-16, or .xlsx; headers that vary; values
the way spreadsheets leave them. Every good row goes in, every bad row is reported with its line,
column, value and reason, and nothing is imported twice.

A file is read twice as a stream (to fingerprint and check its encoding, then to import it), so
a file of millions of rows never sits in memory. All of a file's rows go in one transaction:
a crash or a kill leaves the database as it was before that file.

The modules, in the order they build on each other: report (what an import tells), values (cells
as values), headers (column names), sources (reading files and sheets; which kind a file is),
people (the register as a log needs it), rows (converting and writing rows), logs (visits and
tests), upsert (the register), fieldwork (an office's ledgers of its 宣传 and 筛查), ledger (one file's
import, recorded in import_files).
"""

from jindu_cli.domain.importer.headers import AUTO_CHOICES, KIND_LABELS, KINDS, export_headers, header_aliases, header_score
from jindu_cli.domain.importer.ledger import import_file, previous_import, rehearsal
from jindu_cli.domain.importer.report import FileProblem, Options, Rejected, Report, RowProblem
from jindu_cli.domain.importer.sources import detect_kind, keeping_workbooks, plan_sheets
from jindu_cli.domain.importer.upsert import history_text, history_texts
from jindu_cli.domain.importer.values import cell_text, vocabulary

__all__ = [
    "AUTO_CHOICES", "KINDS", "KIND_LABELS", "FileProblem", "Options", "Rejected", "Report", "RowProblem", "cell_text", "detect_kind",
    "export_headers", "header_aliases", "header_score", "history_text", "history_texts", "import_file",
    "keeping_workbooks", "plan_sheets", "previous_import", "rehearsal", "vocabulary",
]
