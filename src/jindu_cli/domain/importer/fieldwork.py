"""The ledgers of a street office's own work: its 宣传台账 (activities) and its 筛查台账 (screening
sessions). Each row goes through the kind's own checks: a row of an activity already recorded (the
same day, street, kind, name and place: a month's ledger sent again inside the quarter's) updates
it with what the row gives, audited, or is counted unchanged."""

from __future__ import annotations

from jindu_cli.domain import records
from jindu_cli.domain.importer.report import FileProblem, RowProblem
from jindu_cli.domain.importer.headers import ONE_OF
from jindu_cli.domain.importer.rows import Rows
from jindu_cli.domain.importer.values import as_date, cell_text, check_damage
from jindu_cli.errors import InvalidInput


class StreetRecordRows(Rows):
    """Rows of a kind of record that belongs to a street (domain.records.RecordKind, of_case false)."""

    ONE_OF: tuple[str, ...] = ()  # columns of which the file must have one
    TOLD_BY: dict[str, str] = {}  # a field a file may leave out -> the column it is then read from

    def __init__(self, *args, **sizes):
        super().__init__(*args, **sizes)
        kind_of, self.add, self.update = self.domain()
        self.record_kind = kind_of(self.conn)
        self.field_of = {label: name for name, label in self.record_kind.labels.items()}
        if self.ONE_OF and not any(name in self.columns for name in self.ONE_OF):
            names = "或".join(f"“{self.labels[name]}”" for name in self.ONE_OF)
            raise FileProblem(f"缺少{names}列；文件里的列是：{'、'.join(h for h in self.header if h)}")
        if "street" not in self.columns and not self.opts.street:
            raise FileProblem(f"文件没有“{self.labels['street']}”列：请用 --street 指明是哪个街道的台账")

    @staticmethod
    def domain() -> tuple:
        """The kind's (kind_of, add, update) functions of its domain module."""
        raise NotImplementedError

    def flush(self, batch) -> None:
        for number, cells in batch:
            try:
                check_damage(cells)
                self.upsert(cells)
            except Exception as exc:  # noqa: BLE001 - every failure of a row is that row's problem
                self.problem(number, cells, exc)

    def raw(self, cells: list) -> dict:
        """What the row gives (an empty cell gives nothing: it never clears a field)."""
        raw: dict = {}
        for name, index in self.columns.items():
            if name not in self.record_kind.parsers:
                continue
            value = cells[index] if index < len(cells) else None
            try:
                value = as_date(value, self.labels[name]) if name == self.record_kind.date_field else cell_text(value)
            except InvalidInput as exc:
                raise RowProblem(name, cell_text(value), exc.reason) from None
            if value not in (None, ""):
                raw[name] = value
        if "street" not in raw and self.opts.street:
            raw["street"] = self.opts.street
        return raw

    def upsert(self, cells: list) -> None:
        kind, opts = self.record_kind, self.opts
        raw = self.raw(cells)
        try:
            rec = records.validate(self.conn, kind, raw, opts.as_of)
            twin = records.natural_twin(self.conn, kind, None, rec)
            if twin is None:
                made = self.add(self.conn, raw, opts.as_of, opts.operator, import_id=self.ledger_id)
                self.report.inserted += 1
                self.saved(made.id, cells)
                return
            _, changes = self.update(self.conn, twin, raw, opts.as_of, opts.operator)
            self.saved(twin, cells)
        except InvalidInput as exc:
            name = self.field_of.get(exc.field, "")
            if name not in self.columns and self.TOLD_BY.get(name) in self.columns:
                name = self.TOLD_BY[name]
            raise RowProblem(name, cell_text(self.cell(cells, name)) if name else "",
                             exc.reason if self.field_of.get(exc.field) in self.columns
                             else f"{exc.field}：{exc.reason}") from None
        self.report.count_update(changes)

    def saved(self, record_id: int, cells: list) -> None:
        """What a kind does with a row's columns that are not its record's, once the record is in."""


class ActivityRows(StreetRecordRows):
    kind = "activities"
    ONE_OF = ONE_OF["activities"]
    TOLD_BY = {"kind": "title"}

    @staticmethod
    def domain() -> tuple:
        from jindu_cli.domain import activities

        return activities.kind_of, activities.add_activity, activities.update_activity


class ScreeningRows(StreetRecordRows):
    """A session's 已移交公安人数 (what jindu's export writes, and a street's ledger may hold) is not
    kept as a number: the people handed over are registered one by one (jindu screen refer), and the
    report counts them. The number is checked, and where it is more than are registered, said."""

    kind = "screenings"

    def upsert(self, cells: list) -> None:
        said = self._said(cells)
        if said:
            try:
                positives = self._count(cells, "positives")
            except InvalidInput:
                positives = None  # (refused where the session is read)
            if positives is not None and said > positives:  # (not given: the session's are left as they are)
                raise RowProblem("referred", cell_text(self.cell(cells, "referred")),
                                 f"{said} 人多于阳性人数（{positives} 人）")
        super().upsert(cells)

    def saved(self, record_id: int, cells: list) -> None:
        said = self._said(cells)
        if said:
            registered = self.conn.execute("SELECT count(*) FROM screening_referrals WHERE screening_id = ?",
                                           [record_id]).fetchone()[0]
            self.report.referrals_untold += max(0, said - registered)

    def _said(self, cells: list) -> int | None:
        """The row's 已移交公安人数: a whole number, or the row refused."""
        try:
            return self._count(cells, "referred")
        except InvalidInput as exc:
            raise RowProblem("referred", cell_text(self.cell(cells, "referred")), exc.reason) from None

    def _count(self, cells: list, name: str) -> int | None:
        from jindu_cli.domain.screenings import MAX_TESTED

        if name not in self.columns:
            return None
        return records.count(self.labels[name], MAX_TESTED)(self.conn, cell_text(self.cell(cells, name)))

    @staticmethod
    def domain() -> tuple:
        from jindu_cli.domain import screenings

        return screenings.kind_of, screenings.add_screening, screenings.update_screening


STREET_ROWS: dict[str, type[StreetRecordRows]] = {"activities": ActivityRows, "screenings": ScreeningRows}
