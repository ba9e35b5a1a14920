"""The rows of the two logs: tests (检测记录) and visits (走访记录), each converted in full or, when
every value was seen before, on the fast path."""

from __future__ import annotations

import json
from datetime import date

from jindu_cli.domain import records, reference, visits
from jindu_cli.domain.enums import ASSESSMENT_KIND, HELP_KIND, METHOD, OUTCOME, RESULT, SPECIMEN, VISIT_KIND
from jindu_cli.domain.importer.report import RowProblem
from jindu_cli.domain.importer.rows import RecordRows, Slow
from jindu_cli.domain.importer.values import Memo, as_day, cell_text, vocabulary
from jindu_cli.errors import InvalidInput
from jindu_cli.domain.visits import fitted_outcome


class DrugTestRows(RecordRows):
    kind, table, entity = "tests", "drug_tests", "drug_test"
    COLUMNS = ("case_id", "tested_on", "specimen", "method", "result", "substances", "sample_number", "place",
               "tester", "notes")
    ABSENT = {"method": "field", "substances": "[]", "sample_number": None, "place": None, "tester": None,
              "notes": None}

    def __init__(self, *args, **sizes):
        super().__init__(*args, **sizes)
        specimen = vocabulary(self.conn, "specimen", SPECIMEN)
        method = vocabulary(self.conn, "method", METHOD)
        result = vocabulary(self.conn, "result", RESULT)
        drugs = reference.drugs(self.conn)
        self.day = Memo(lambda v: as_day(v, "检测日期"), "tested_on")
        self.specimen = Memo(lambda v: specimen(cell_text(v)), "specimen")
        self.method = Memo(lambda v: method(cell_text(v)), "method", empty="field")
        self.result = Memo(lambda v: result(cell_text(v)), "result")
        self.substances = Memo(lambda v: json.dumps(drugs.resolve_many([cell_text(v)]), ensure_ascii=False),
                               "substances", empty="[]")

    def convert(self, cells: list):
        case = self.person_of(cells)
        day = self.needed(cells, "tested_on", self.day)
        specimen = self.needed(cells, "specimen", self.specimen)
        result = self.needed(cells, "result", self.result)
        raw = cells[self.ix["method"]]
        method = self.method(raw) if raw else "field"
        raw = cells[self.ix["substances"]]
        found = self.substances(raw) if raw else "[]"
        if found != "[]" and result != "positive":
            raise RowProblem("substances", cell_text(raw), f"只有阳性结果才有检出毒品，这一行的结果是{RESULT.label(result)}")
        overridden = self.in_window(case, date.fromisoformat(day), "tested_on", cells)
        text = self.text
        return case, overridden, (case.id, day, specimen, method, result, found, text(cells, "sample_number"),
                                  text(cells, "place"), text(cells, "tester"), text(cells, "notes"),
                                  1 if overridden else 0, self.ledger_id, self.now, self.now)

    def quick_reader(self):
        i_specimen, i_method, i_result, i_found, i_sample, i_place, i_tester, i_notes = (
            self.ix[name] for name in ("specimen", "method", "result", "substances", "sample_number", "place",
                                       "tester", "notes"))
        person_of = self.person_and_day("tested_on")
        specimens, methods, results, substances = (
            self.specimen.good, self.method.good, self.result.good, self.substances.good)
        samples, places, testers = (self.texts[name].good for name in ("sample_number", "place", "tester"))
        notes = self.texts["notes"]

        def quick(cells):
            person, day = person_of(cells)
            result = results[cells[i_result]]
            found = substances[cells[i_found]]
            if found != "[]" and result != "positive":
                raise Slow
            raw = cells[i_notes]
            return (person.id, day, specimens[cells[i_specimen]], methods[cells[i_method]], result, found,
                    samples[cells[i_sample]], places[cells[i_place]], testers[cells[i_tester]],
                    notes(raw) if raw else None)
        return quick


class VisitRows(RecordRows):
    kind, table, entity = "visits", "visits", "visit"
    COLUMNS = ("case_id", "visited_on", "kind", "sub_kind", "outcome", "worker", "place", "notes", "placed",
               "aid_granted", "aid_amount", "referred_to")
    ABSENT = {"sub_kind": None, "outcome": "seen", "place": None, "notes": None, "placed": 0, "aid_granted": 0,
              "aid_amount": None, "referred_to": None}
    TEXTS = RecordRows.TEXTS + (("referred_to", 200),)

    def __init__(self, *args, **sizes):
        super().__init__(*args, **sizes)
        kinds = vocabulary(self.conn, "kind", VISIT_KIND)
        outcome = vocabulary(self.conn, "outcome", OUTCOME)
        help_kind = vocabulary(self.conn, "help_kind", HELP_KIND)
        assessment_kind = vocabulary(self.conn, "assessment_kind", ASSESSMENT_KIND)
        self.day = Memo(lambda v: as_day(v, "走访日期"), "visited_on")
        self.visit_kind = Memo(lambda v: kinds(cell_text(v)), "kind")
        self.outcome = Memo(lambda v: outcome(cell_text(v)), "outcome", empty="seen")
        self.sub_kinds = {"help": Memo(lambda v: help_kind(cell_text(v)), "sub_kind"),
                          "assessment": Memo(lambda v: assessment_kind(cell_text(v)), "sub_kind")}

    def convert(self, cells: list):
        case = self.person_of(cells)
        day = self.needed(cells, "visited_on", self.day)
        kind = self.needed(cells, "kind", self.visit_kind)
        raw = cells[self.ix["outcome"]]
        outcome = fitted_outcome(kind, self.outcome(raw) if raw else "seen")
        sub = None
        raw = cells[self.ix["sub_kind"]]
        if cell_text(raw):
            if kind not in self.sub_kinds:
                raise RowProblem("sub_kind", cell_text(raw), f"只有帮扶和评估有类别，{VISIT_KIND.label(kind)}没有")
            sub = self.sub_kinds[kind](raw)
        result = self.help_result(cells, kind, sub)
        overridden = self.in_window(case, date.fromisoformat(day), "visited_on", cells)
        text = self.text
        return case, overridden, (case.id, day, kind, sub, outcome, text(cells, "worker") or case.worker,
                                  text(cells, "place"), text(cells, "notes"), *result, 1 if overridden else 0,
                                  self.ledger_id, self.now, self.now)

    def help_result(self, cells: list, kind: str, sub: str | None) -> tuple:
        """就业安置, 获得救助, 救助金额, 转介单位 as stored, checked as `visit add` checks them."""
        if all(cells[self.ix[name]] in ("", None) for name in visits.HELP_RESULT):
            return 0, 0, None, None  # (most rows: a category, nothing achieved written down)
        rec: dict = {"kind": kind, "sub_kind": sub}
        given: dict = {}
        readers = {"placed": records.yes_no(visits.LABELS["placed"]),
                   "aid_granted": records.yes_no(visits.LABELS["aid_granted"]), "aid_amount": visits.parse_yuan}
        for name in visits.HELP_RESULT:
            raw = cells[self.ix[name]]
            if not cell_text(raw):
                continue
            try:
                given[name] = rec[name] = self.text(cells, name) if name == "referred_to" else readers[name](None, cell_text(raw))
                visits.check_help_result(rec, given)
            except InvalidInput as exc:
                raise RowProblem(name, cell_text(raw), exc.reason) from None
        visits.check_help_result(rec, given)
        return int(rec["placed"]), int(rec["aid_granted"]), rec["aid_amount"], rec["referred_to"]

    def quick_reader(self):
        """A plain row: a visit to a person on the register, in their span, without a category or a
        帮扶's result."""
        ix = self.ix
        i_kind, i_sub, i_outcome, i_worker, i_place, i_notes = (
            ix[name] for name in ("kind", "sub_kind", "outcome", "worker", "place", "notes"))
        told = [ix[name] for name in visits.HELP_RESULT if name in self.columns]  # (most logs have none)
        person_of = self.person_and_day("visited_on")
        kinds, outcomes = self.visit_kind.good, self.outcome.good
        workers, places = self.texts["worker"].good, self.texts["place"].good
        notes = self.texts["notes"]

        def quick(cells):
            if cells[i_sub] != "" or told and any(cells[i] for i in told):
                raise Slow  # (a category, or a 帮扶's result, is read and checked in full)
            person, day = person_of(cells)
            kind, outcome = kinds[cells[i_kind]], outcomes[cells[i_outcome]]
            if kind == "phone" or outcome in ("reached", "unreached"):
                raise Slow  # (the outcome fitted to the kind, or refused, on the way of one row)
            raw = cells[i_notes]
            return (person.id, day, kind, None, outcome, workers[cells[i_worker]] or person.worker,
                    places[cells[i_place]], notes(raw) if raw else None, 0, 0, None, None)
        return quick


RECORD_ROWS: dict[str, type[RecordRows]] = {"visits": VisitRows, "tests": DrugTestRows}
