"""Making documents: for one person, for the people of a street, or one worker's ledger. The
document's bytes are made first (a template at fault is refused before anything is recorded),
then the showing of the people it holds is audited and committed (`record`), then the caller
writes the files: no file holds anyone in full whose showing is not on record."""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from jindu_cli.domain import audit, find, reference
from jindu_cli.domain.documents import contexts, ledger, person_file, templates
from jindu_cli.domain.documents.catalog import DOCUMENTS, Document, document
from jindu_cli.domain.enums import CLOSED_STATUSES
from jindu_cli.domain.people import Case
from jindu_cli.domain.rules import Rules
from jindu_cli.errors import Conflict, InvalidInput, JinduError
from jindu_cli.storage.db import atomic

Builder = Callable[..., dict]
BUILDERS: dict[str, Builder] = {
    "agreement": contexts.agreement,
    "register-card": contexts.register_card,
    "police-letter": contexts.police_letter,
    "release-request": contexts.release_request,
    "person-file": person_file.person_file,
}
BATCH = ("agreement", "register-card", "person-file")  # made for a street's people at once
NAME_CHARACTERS = 40  # of a person's name in a file name


@dataclass
class Made:
    doc: Document
    files: list[tuple[str, bytes]]  # (file name, bytes)
    people: list[int]
    skipped: list[str] = field(default_factory=list)  # why some people of a street have none
    extra: dict = field(default_factory=dict)  # what the document was made of (the flag of a letter)
    label: str = ""  # the street of a batch, for its folder's name


def safe_name(text: str) -> str:
    """`text` as part of a file name on any system: no separators, control characters or
    characters Windows refuses, spaces as _, at most NAME_CHARACTERS characters."""
    cleaned = "".join("_" if unicodedata.category(ch)[0] in "CZ" or ch in '\\/:*?"<>|' else ch
                      for ch in unicodedata.normalize("NFC", text))
    cleaned = re.sub(r"_+", "_", cleaned).strip("._")
    return cleaned[:NAME_CHARACTERS] or "_"


def _filled(doc: Document, conn: sqlite3.Connection, context: dict, template) -> tuple[bytes, dict]:
    extra = {k: context.pop(k) for k in [k for k in context if k.startswith("_")]}
    return templates.fill(doc, conn, context, template), extra


def make_one(conn: sqlite3.Connection, rules: Rules, name: str, case: Case, as_of: date,
             flag: str | None = None) -> Made:
    doc = document(name)
    if not doc.one_person:
        raise InvalidInput("文书", f"{doc.title}不是一个人的文书")
    template = templates.checked(doc, conn)
    data, extra = _filled(doc, conn, BUILDERS[name](conn, case, rules, as_of, flag=flag), template)
    return Made(doc, [(f"{doc.title}_{safe_name(case.name)}_{as_of}.docx", data)], [case.id], extra=extra)


def street_people(conn: sqlite3.Connection, name: str, street: str, missing: bool) -> tuple[list[Case], list[str]]:
    """The people of `street` a batch is made for (those under management), and why the others
    of it are left out."""
    if name not in BATCH:
        raise InvalidInput("--street", f"{document(name).title}一次只做一个人；--street 可用于："
                                       f"{'、'.join(BATCH)}")
    if missing and name != "agreement":
        raise InvalidInput("--missing", "只用于 agreement（还没有签订协议的人）")
    find.require_people(conn, street=street)
    pool = [c for c in find.list_cases(conn, street=street, sort="street") if c.status not in CLOSED_STATUSES]
    return _agreement_pool(pool, missing) if name == "agreement" else (pool, [])


def _agreement_pool(pool: list[Case], missing: bool) -> tuple[list[Case], list[str]]:
    """An agreement is signed at 报到: those who have reported (with `missing`, and not signed)."""
    skipped: list[str] = []
    unreported = [c for c in pool if c.reported_on is None]
    if unreported:
        more = "……" if len(unreported) > 5 else ""
        skipped.append(f"{len(unreported)} 人还没有报到（{'、'.join(c.name for c in unreported[:5])}{more}）")
    pool = [c for c in pool if c.reported_on is not None]
    if missing:
        signed = [c for c in pool if c.agreement_on]
        if signed:
            skipped.append(f"{len(signed)} 人已签订协议")
        pool = [c for c in pool if c.agreement_on is None]
    return pool, skipped


def make_for_street(conn: sqlite3.Connection, rules: Rules, name: str, street: str, as_of: date,
                    missing: bool = False) -> Made:
    doc = document(name)
    people, skipped = street_people(conn, name, street, missing)
    street = reference.streets(conn).resolve(street)
    if not people:
        why = "；".join(skipped)
        raise Conflict(f"{street}没有要做{doc.title}的人" + (f"（{why}）" if why else ""))
    template = templates.checked(doc, conn)
    files = []
    for case in people:
        data, _ = _filled(doc, conn, BUILDERS[name](conn, case, rules, as_of), template)
        files.append((f"{doc.title}_{safe_name(case.name)}_{case.id}.docx", data))
    return Made(doc, files, [c.id for c in people], skipped, label=street)


def make_ledger(conn: sqlite3.Connection, rules: Rules, worker: str | None, period: str | None,
                as_of: date) -> Made:
    doc = DOCUMENTS["worker-ledger"]
    template = templates.checked(doc, conn)
    context, people = ledger.worker_ledger(conn, rules, worker, period, as_of)
    data, _ = _filled(doc, conn, context, template)
    month = context["period"].replace("年", "-").replace("月", "")
    return Made(doc, [(f"{doc.title}_{safe_name(context['worker'])}_{month}.docx", data)], people)


def record(conn: sqlite3.Connection, operator: str, made: Made, where: str) -> None:
    """Audit the making as a reveal: who (the operator), when, which document and files, which people."""
    ids = sorted(set(made.people))
    if not ids:
        return
    with atomic(conn):
        audit.record(conn, operator, "reveal", "case", ids[0] if len(ids) == 1 else None,
                     ids[0] if len(ids) == 1 else None,
                     {"command": f"doc {made.doc.name}", "document": made.doc.title, "where": where,
                      "files": [name for name, _ in made.files], "cases": ids})


def template_bytes(name: str) -> bytes:
    """The shipped template of a document, to edit."""
    doc = document(name)
    try:
        return templates.shipped(doc.name).read_bytes()
    except OSError as exc:
        raise JinduError(f"找不到内置模板 {templates.shipped(doc.name)}：{exc.strerror or exc}") from None
