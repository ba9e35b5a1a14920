"""Word templates: the office's own (templates/NAME.docx beside the database) or the shipped one,
checked against the fields of its document before anything is filled, and filled with docxtpl.

A template may name only the fields of its document (catalog.py), and the fields of a list's
rows inside a loop over that list: any other name is refused, naming it and the template, before
a document is made. Filling is strict: a value that is missing raises instead of printing as
nothing, and every value is escaped for Word's XML (quotes, <, &), with characters XML cannot
hold dropped and line breaks kept as line breaks.
"""

from __future__ import annotations

import io
import re
import sqlite3
import zipfile
from pathlib import Path

from jindu_cli.domain.documents.catalog import Document, Field
from jindu_cli.domain.reference import data_file, db_folder, packaged_data_dir
from jindu_cli.errors import JinduError

FOLDER = "templates"
# what XML 1.0 cannot hold (control characters but tab and newline, lone surrogates, U+FFFE/U+FFFF)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def shipped(name: str) -> Path:
    return packaged_data_dir() / FOLDER / f"{name}.docx"


def office_template(name: str, conn: sqlite3.Connection | None) -> Path | None:
    folder = db_folder(conn)
    path = folder / FOLDER / f"{name}.docx" if folder is not None else None
    return path if path is not None and path.is_file() else None


def template_path(name: str, conn: sqlite3.Connection | None) -> Path:
    """The office's own template when there is one, else the shipped one (as rules.toml)."""
    return data_file(f"{FOLDER}/{name}.docx", conn)


class TemplateError(JinduError):
    pass


def _environment():
    import jinja2
    from markupsafe import Markup, escape

    def finalize(value):
        if value is None:  # a value the document's code did not give: never printed as nothing
            raise jinja2.UndefinedError("一个字段没有值")
        if isinstance(value, Markup):
            return value
        shown = _NOT_XML.sub("", str(value)).replace("\r\n", "\n").replace("\r", "\n")
        # docxtpl turns {_{ into {{ (and the like) after filling: an underscore of a value is
        # written as a character reference, so that no value can make it
        return Markup(str(escape(shown)).replace("_", "&#95;"))

    return jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=True, finalize=finalize)


def _open(path: Path):
    from docxtpl import DocxTemplate

    try:
        with zipfile.ZipFile(path) as z:
            if "word/document.xml" not in z.namelist():
                raise zipfile.BadZipFile
        return DocxTemplate(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError):
        raise TemplateError(f"模板 {path} 不是 Word 文档（.docx）") from None
    except OSError as exc:
        raise TemplateError(f"读不了模板 {path}：{exc.strerror or exc}") from None


def _sources(tpl) -> list[str]:
    """The template's text as the filling reads it: the body, then headers and footers."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.oxml import parse_xml

    parts = [tpl.patch_xml(tpl.xml_to_string(tpl.get_docx()._element.body))]
    for rel in tpl.get_docx()._part.rels.values():
        if rel.reltype in (RT.HEADER, RT.FOOTER) and not rel.is_external and rel.target_part.blob:
            parts.append(tpl.patch_xml(tpl.xml_to_string(parse_xml(rel.target_part.blob))))
    return parts


def unknown_fields(tpl, doc: Document, env) -> list[str]:
    """The names the template uses that its document does not give, as `list[].field` for a row's."""
    from jinja2 import meta, nodes

    unknown: list[str] = []
    for source in _sources(tpl):
        tree = env.parse(source)
        for name in sorted(meta.find_undeclared_variables(tree)):
            if doc.field(name) is None and name not in unknown:
                unknown.append(name)
        _walk_loops(tree, {}, doc, unknown, nodes)
    return unknown


def _walk_loops(node, scope: dict[str, tuple[str, Field]], doc: Document, unknown: list[str], nodes) -> None:
    """Check `row.field` inside `for row in list` against the list's rows (nested lists too)."""
    if isinstance(node, nodes.For):
        spec = _list_field(node.iter, scope, doc, nodes)
        inner = dict(scope)
        if spec is not None and isinstance(node.target, nodes.Name):
            inner[node.target.name] = spec
        for child in node.body + node.else_:
            _walk_loops(child, inner, doc, unknown, nodes)
        return
    if isinstance(node, (nodes.Getattr, nodes.Getitem)) and isinstance(node.node, nodes.Name) \
            and node.node.name in scope:
        attr = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", None)
        path, spec = scope[node.node.name]
        if isinstance(attr, str) and spec.row(attr) is None and f"{path}[].{attr}" not in unknown:
            unknown.append(f"{path}[].{attr}")
    for child in node.iter_child_nodes():
        _walk_loops(child, scope, doc, unknown, nodes)


def _list_field(expr, scope, doc: Document, nodes) -> tuple[str, Field] | None:
    if isinstance(expr, nodes.Name):
        found = doc.field(expr.name)
        return (expr.name, found) if found is not None and found.rows else None
    if isinstance(expr, nodes.Getattr) and isinstance(expr.node, nodes.Name) and expr.node.name in scope:
        path, spec = scope[expr.node.name]
        found = spec.row(expr.attr)
        return (f"{path}[].{expr.attr}", found) if found is not None and found.rows else None
    return None


def checked(doc: Document, conn: sqlite3.Connection | None):
    """The template in force for `doc`, opened and checked: (template, its path, jinja environment)."""
    import jinja2

    path = template_path(doc.name, conn)
    tpl = _open(path)
    env = _environment()
    try:
        unknown = unknown_fields(tpl, doc, env)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"模板 {path} 写法有误：{exc.message}") from None
    if unknown:
        raise TemplateError(f"模板 {path} 用了{doc.title}没有的字段：{'、'.join(unknown)}。"
                            f"可用的字段见 jindu doc fields {doc.name}")
    return tpl, path, env


def fill(doc: Document, conn: sqlite3.Connection | None, context: dict, checked_template=None) -> bytes:
    """The document's bytes: its template (checked) filled with `context`."""
    import jinja2

    tpl, path, env = checked_template or checked(doc, conn)
    try:
        tpl.render(context, env, autoescape=True)
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"模板 {path} 填写失败：{_undefined(exc)}") from None
    except jinja2.TemplateError as exc:
        raise TemplateError(f"模板 {path} 填写失败：{exc}") from None
    out = io.BytesIO()
    tpl.save(out)  # (a later fill of the same template reads it again: docxtpl reloads a rendered one)
    return out.getvalue()


def _undefined(exc) -> str:
    text = str(exc)
    found = re.search(r"has no attribute '([^']*)'|'([^']*)' is undefined", text)
    if found:
        return f"字段“{found.group(1) or found.group(2)}”没有值"
    return text
