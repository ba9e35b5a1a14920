"""The register (登记表): each row added or updated by 身份证号 through the register's own add and
update, with its status history given as one cell. A person in execution whom the file shows at
another street has moved (§9.11): a transfer, dated by the file's 变更日期 where it has one, else by
the day of the import."""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from datetime import date

from jindu_cli.domain.dates import iso

from jindu_cli.domain.people import Case, get_case
from jindu_cli.domain.enums import MEASURE, RISK, STATUS, status_label
from jindu_cli.domain.importer.report import RowProblem
from jindu_cli.domain.importer.rows import Rows
from jindu_cli.domain.importer.values import as_date, as_id, cell_text, vocabulary
from jindu_cli.errors import InvalidInput, JinduError
from jindu_cli.storage.db import atomic


class CaseRows(Rows):
    """Cases upsert by 身份证号 through the register's own add and update (validated, audited)."""

    kind = "cases"
    FIELDS = ("id_number", "name", "sex", "birth_date", "phone", "household_address", "residence_address",
              "street", "community", "measure", "term_months", "decision_authority", "decision_number",
              "decided_on", "received_on", "reported_on", "agreement_on", "risk_level", "risk_color", "drugs",
              "worker", "notes", "test_every", "term_end_override", "moved_on")
    DATES = ("birth_date", "decided_on", "received_on", "reported_on", "agreement_on", "term_end_override",
             "moved_on")

    def __init__(self, *args, **sizes):
        super().__init__(*args, **sizes)
        self.measure = vocabulary(self.conn, "measure", MEASURE)
        self.risk = vocabulary(self.conn, "risk_level", RISK)

    def flush(self, batch) -> None:
        for number, cells in batch:
            try:
                if any(isinstance(c, str) and ("\x00" in c or "\ufffd" in c) for c in cells):
                    raise RowProblem("", "", "含有空字符或无法识别的字符：这一行已损坏，或文件混用了编码")
                self.upsert(cells)
            except Exception as exc:  # noqa: BLE001
                self.problem(number, cells, exc)

    def raw(self, cells: list) -> dict:
        raw: dict = {}
        for name in self.FIELDS:
            if name not in self.columns:
                continue
            value = self.cell(cells, name)
            if name == "id_number":
                raw[name] = as_id(value)
                continue
            if name in self.DATES:
                try:
                    value = as_date(value, self.labels[name])
                except InvalidInput as exc:  # (named by its column: 变更日期 is no field of a case)
                    raise RowProblem(name, cell_text(value), exc.reason) from None
                if value is not None:
                    raw[name] = value
                continue
            text = cell_text(value)
            if not text:
                continue  # an empty cell tells nothing: it never clears a field
            if name == "measure":
                text = self.measure(text)
            elif name == "risk_level":
                text = self.risk(text)
            raw[name] = text
        return raw

    def upsert(self, cells: list) -> None:
        from jindu_cli.domain import cases, screenings

        raw = self.raw(cells)
        moved_on = raw.pop("moved_on", None)  # (not a field of the register: the day of a transfer)
        existing = self.conn.execute("SELECT id FROM cases WHERE id_number = ?", [raw["id_number"]]).fetchone()
        status = cell_text(self.cell(cells, "status"))
        history = cell_text(self.cell(cells, "status_history"))
        with atomic(self.conn):
            if existing is None:
                case = cases.add_case(self.conn, raw, self.opts.as_of, self.opts.operator)
                self.conn.execute("UPDATE cases SET import_id = ? WHERE id = ?", [self.ledger_id, case.id])
                self.report.referrals_linked += len(screenings.link_new_case(self.conn, case, self.opts.operator))
                if history:
                    replay_history(self.conn, case, history, self.opts.as_of, self.opts.operator)
                    case = get_case(self.conn, case.id)
                if status and STATUS.lookup(status) not in (case.status, None) and \
                        status_label(case.status, case.measure) != status:
                    raise RowProblem("status", status, f"新登记的人状态是{status_label(case.status, case.measure)}；"
                                                       "其他状态要附上“状态记录”列，或登记后用 jindu case update 修改")
                self.report.inserted += 1
                return
            case = get_case(self.conn, existing[0])
            if history and history_text(self.conn, case) != normalize_history(history):
                raise RowProblem("status_history", history, "与现有的状态记录不同；状态请用 jindu case update 修改")
            if status and status not in (status_label(case.status, case.measure), STATUS.label(case.status)) \
                    and STATUS.lookup(status) != case.status:
                raise RowProblem("status", status, f"与现有状态“{status_label(case.status, case.measure)}”不同；"
                                                   "状态请用 jindu case update 修改")
            moved = self.transfer(case, raw, moved_on)
            _, changes = cases.update_case(self.conn, get_case(self.conn, case.id) if moved else case,
                                           {k: v for k, v in raw.items() if k != "id_number"},
                                           self.opts.as_of, self.opts.operator)
            if moved:
                changes["street"] = moved
            self.report.count_update(changes)

    def transfer(self, case: Case, raw: dict, moved_on: date | None) -> list | None:
        """A person in execution whom the row shows at another street has moved (§9.11): the transfer
        recorded (the row's community and worker go with it), the street taken out of `raw`; the
        street's [old, new], or None."""
        from jindu_cli.domain import reference, transfers

        if "street" not in raw or case.status not in transfers.MOVABLE:
            return None
        street = reference.streets(self.conn).resolve(raw["street"], self.labels["street"])
        if street == case.street:
            return None
        history = transfers.transfers_of(self.conn, case.id)
        if history and history[-1].from_street == street and (moved_on is None or moved_on <= history[-1].moved_on):
            last = history[-1]
            raise RowProblem("street", raw["street"], f"{case.name} 已于 {last.moved_on} 从{street}变更到{last.to_street}"
                             "（这可能是一份旧表）；确实迁回的，请在“变更日期”列写明日期，或用 jindu case transfer")
        try:
            transfers.move(self.conn, case, street, moved_on or self.opts.as_of, self.opts.as_of, self.opts.operator,
                           community=raw.pop("community", None), worker=raw.pop("worker", None),
                           source=f"导入 {self.report.file}")
        except InvalidInput as exc:  # (the day of the move is the file's 变更日期, else the import's day)
            raise (RowProblem("moved_on", iso(moved_on), exc.reason) if moved_on is not None
                   else RowProblem("street", raw["street"], exc.reason)) from None
        del raw["street"]
        self.report.transfers += 1
        self.report.transfers_dated += moved_on is not None
        return [case.street, street]


# --- status history as one cell -----------------------------------------------------------

_ENTRY = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*([^（(]+?)\s*(?:[（(](.*)[）)])?$")


def history_text(conn: sqlite3.Connection, case: Case) -> str:
    """A case's status changes as one cell: `2025-01-10 在执行（报到）；2026-03-01 中止（拘留）`."""
    return history_texts(conn, [case.id]).get(case.id, "")


def history_texts(conn: sqlite3.Connection, case_ids: list[int]) -> dict[int, str]:
    """`history_text` of each of the cases (at most a few thousand: one query), by case id."""
    parts: dict[int, list[str]] = {}
    for case_id, status, on, reason in conn.execute(
            "SELECT case_id, status, changed_on, reason FROM status_changes"
            f" WHERE case_id IN ({', '.join('?' for _ in case_ids)}) ORDER BY case_id, changed_on, id", case_ids):
        parts.setdefault(case_id, []).append(f"{on} {STATUS.label(status)}" + (f"（{reason}）" if reason else ""))
    return {case_id: "；".join(found) for case_id, found in parts.items()}


def normalize_history(text: str) -> str:
    entries = [e.strip() for e in re.split(r"[；;]", unicodedata.normalize("NFKC", text)) if e.strip()]
    out = []
    for entry in entries:
        m = _ENTRY.match(entry)
        if not m:
            raise RowProblem("status_history", text, f"“{entry}”看不懂：应写成“2026-03-01 中止（拘留）”，多条用分号隔开")
        on, label, reason = m.groups()
        code = STATUS.lookup(label)
        if code is None:
            raise RowProblem("status_history", text, f"“{label}”不是状态")
        out.append(f"{on} {STATUS.label(code)}" + (f"（{reason.strip()}）" if reason and reason.strip() else ""))
    return "；".join(out)


def replay_history(conn: sqlite3.Connection, case: Case, text: str, as_of: date, operator: str) -> None:
    """Apply the status changes of a history cell to a case just registered, through the lifecycle."""
    from jindu_cli.domain import cases

    entries = normalize_history(text).split("；")
    first = _ENTRY.match(entries[0]).groups()
    if STATUS.lookup(first[1]) == "active":
        if case.reported_on is None or first[0] != case.reported_on.isoformat():
            raise RowProblem("status_history", text, "第一条应是报到那天的“在执行（报到）”，与报到日期一致")
        entries = entries[1:]
    for entry in entries:
        on, label, reason = _ENTRY.match(entry).groups()
        current = get_case(conn, case.id)
        try:
            cases.update_case(conn, current, {}, as_of, operator,
                              cases.StatusChange(label, date.fromisoformat(on), reason))
        except JinduError as exc:
            raise RowProblem("status_history", text, f"“{entry}”：{exc.message}") from None
