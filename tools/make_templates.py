"""Make the shipped Word templates, data/templates/*.docx, with python-docx (which docxtpl brings).

    python tools/make_templates.py            # writes data/templates/
    python tools/make_templates.py OUT_DIR    # somewhere else

The fields in {{ }} are those of src/jindu_cli/domain/documents/catalog.py; `{%tr %}` and `{%p %}`
are docxtpl's loops over table rows and paragraphs. The page is set out as GB/T 9704 sets out
official documents: A4, margins 37 mm top, 35 mm bottom, 28 mm left, 26 mm right; body 仿宋_GB2312
3号 (16 pt) on a 29 pt line (22 lines a page); title 方正小标宋简体 2号 (22 pt); headings of the
first level 黑体; page numbers "— 1 —" at the foot. The same bytes come out for the same script
(fixed times in the zip and the document's properties).
"""

from __future__ import annotations

import datetime
import io
import sys
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_ALIGN_VERTICAL, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

BODY_FONT = "仿宋_GB2312"
TITLE_FONT = "方正小标宋简体"
HEADING_FONT = "黑体"
LATIN_FONT = "Times New Roman"
FIXED_TIME = datetime.datetime(2026, 1, 1, 0, 0, 0)
INDENT = Pt(32)  # two characters of 3号


def _fonts(rpr_owner, east: str, size: float | None = None, bold: bool | None = None) -> None:
    font = rpr_owner.font
    font.name = LATIN_FONT
    if size:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    rpr = rpr_owner.element.get_or_add_rPr()
    rpr.get_or_add_rFonts().set(qn("w:eastAsia"), east)


def _style(doc, name: str, east: str, size: float, *, line: float | None, bold: bool = False,
           align=None, before: float = 0, after: float = 0, indent=None, keep: bool = False):
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles["Normal"]
    _fonts(style, east, size, bold)
    fmt = style.paragraph_format
    if line:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(line)
    else:
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    fmt.first_line_indent = indent
    if align is not None:
        fmt.alignment = align
    fmt.keep_with_next = keep
    return style


def new_document(title: str, landscape: bool = False):
    """A4 upright with GB/T 9704's margins; a ledger's wide table goes across the page, with
    narrower margins (it is a working record, not a letter)."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(25)
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(297), Mm(210)
        section.top_margin, section.bottom_margin = Mm(25), Mm(25)
        section.left_margin, section.right_margin = Mm(25), Mm(25)
        section.footer_distance = Mm(12)
    normal = doc.styles["Normal"]
    _fonts(normal, BODY_FONT, 16)
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    normal.paragraph_format.line_spacing = Pt(29)
    normal.paragraph_format.space_before = normal.paragraph_format.space_after = Pt(0)
    _style(doc, "文书标题", TITLE_FONT, 22, line=38, align=WD_ALIGN_PARAGRAPH.CENTER, after=16)
    # left, not justified: a line holding a long ID number or a Latin address would have its
    # characters spread apart
    _style(doc, "正文", BODY_FONT, 16, line=29, indent=INDENT, align=WD_ALIGN_PARAGRAPH.LEFT)
    _style(doc, "顶格", BODY_FONT, 16, line=29)
    _style(doc, "一级标题", HEADING_FONT, 16, line=29, indent=INDENT, keep=True)
    _style(doc, "表前", BODY_FONT, 16, line=29, indent=INDENT, keep=True)
    _style(doc, "居中", BODY_FONT, 16, line=29, align=WD_ALIGN_PARAGRAPH.CENTER)
    _style(doc, "落款", BODY_FONT, 16, line=29, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _style(doc, "表格", BODY_FONT, 12, line=None, before=2, after=2)
    _style(doc, "小表格", BODY_FONT, 10.5, line=None, before=1, after=1)
    _page_numbers(section)
    props = doc.core_properties
    props.title, props.author, props.last_modified_by = title, "jindu", "jindu"
    props.created = props.modified = FIXED_TIME
    props.revision = 1
    return doc


def _page_numbers(section) -> None:
    """"— 1 —" at the foot of each page, 宋体 4号."""
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _fonts(p.add_run("— "), "宋体", 14)
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), " PAGE ")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    p._p.append(field)
    _fonts(p.add_run(" —"), "宋体", 14)


def para(doc, text: str, style: str = "正文", right_indent=None):
    p = doc.add_paragraph(text, style=style)
    if right_indent is not None:
        p.paragraph_format.right_indent = right_indent
    return p


def _no_borders(table) -> None:
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    table._tbl.tblPr.append(borders)


def _widths(table, widths_mm: list[float]) -> None:
    table.autofit = False
    grid = table._tbl.tblGrid
    for col, width in zip(grid.findall(qn("w:gridCol")), widths_mm):
        col.set(qn("w:w"), str(int(Mm(width).twips)))
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm):
            cell.width = Mm(width)


def _repeat_header(row) -> None:
    trpr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    trpr.append(header)


def _cell(cell, text: str, style: str, bold: bool = False, align=None, keep: bool = False) -> None:
    cell.vertical_alignment = WD_ALIGN_VERTICAL.CENTER
    p = cell.paragraphs[0]
    p.style = style
    p.paragraph_format.keep_with_next = keep or None
    if align is not None:
        p.alignment = align
    run = p.add_run(text)
    if bold:
        run.bold = True


def table(doc, widths: list[float], style: str = "表格", borders: bool = True, together: bool = False):
    """A table of columns `widths` (mm); `together` keeps it on one page (each row kept with the next)."""
    t = doc.add_table(rows=0, cols=len(widths))
    if borders:
        t.style = doc.styles["Table Grid"]
    else:
        _no_borders(t)
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t._jindu = (widths, style, together)
    return t


def row(t, *texts: str, bold: bool = False, spans: tuple[int, ...] = (), align=None, height: float = 0):
    """A row of `texts`; `spans` gives how many columns each takes (all 1 when not given)."""
    widths, style, together = t._jindu
    r = t.add_row()
    if height:
        r.height = Mm(height)
    for i, w in enumerate(widths):
        r.cells[i].width = Mm(w)
    spans = spans or (1,) * len(texts)
    col = 0
    for text, span in zip(texts, spans):
        cell = r.cells[col]
        if span > 1:
            cell = cell.merge(r.cells[col + span - 1])
        _cell(cell, text, style, bold, align, together)
        col += span
    return r


def loop_rows(t, items: str, var: str, cells: list[str], empty: str = "无") -> None:
    """docxtpl's loop over table rows: one row a `var` of `items`, or a row saying `empty`."""
    n = len(t._jindu[0])
    row(t, f"{{%tr for {var} in {items} %}}", *[""] * (n - 1))
    row(t, *[f"{{{{ {var}.{c} }}}}" if c else "" for c in cells])
    row(t, "{%tr endfor %}", *[""] * (n - 1))
    row(t, f"{{%tr if not {items} %}}", *[""] * (n - 1))
    row(t, empty, spans=(n,))
    row(t, "{%tr endif %}", *[""] * (n - 1))


def header_row(t, *texts: str) -> None:
    _repeat_header(row(t, *texts, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER))


def signature(doc, office: bool = True) -> None:
    """发文机关署名 and 成文日期 (右空四字), then the 附注 with the contact."""
    doc.add_paragraph("", style="顶格")
    doc.add_paragraph("", style="顶格")
    if office:
        para(doc, "{{ office_name }}", "落款", right_indent=Pt(32))
    para(doc, "{{ issued_on }}", "落款", right_indent=Pt(64))
    para(doc, "（联系人：{{ office_signer }}，联系电话：{{ office_phone }}）")


# --- the documents ----------------------------------------------------------------------------

REGISTER = [
    ("姓名", "{{ name }}", "性别", "{{ sex }}"),
    ("出生日期", "{{ birth_date }}", "身份证号", "{{ id_number }}"),
    ("联系电话", "{{ phone }}", "案件编号", "{{ case_id }}"),
    ("户籍地", "{{ household_address }}"),
    ("居住地", "{{ residence_address }}"),
    ("执行地街道", "{{ street }}", "社区", "{{ community }}"),
    ("措施", "{{ measure }}", "期限", "{{ term_months }} 个月"),
    ("决定机关", "{{ decision_authority }}"),
    ("决定书文号", "{{ decision_number }}", "决定日期", "{{ decided_on }}"),
    ("收到决定书日期", "{{ received_on }}", "报到期限", "{{ report_deadline }}"),
    ("报到日期", "{{ reported_on }}", "协议签订日期", "{{ agreement_on }}"),
    ("期限开始", "{{ term_start }}", "期满日期", "{{ term_end }}"),
    ("状态", "{{ status }}", "毒品种类", "{{ drugs }}"),
    ("风险等级", "{{ risk_level }}", "风险颜色", "{{ risk_color }}"),
    ("负责专干", "{{ worker }}", "个案尿检间隔", "{{ test_every }}"),
    ("家属联系人", "姓名：　　　　　　关系：　　　　　　电话："),
    ("备注", "{{ notes }}"),
]


def register_table(doc, height: float = 0) -> None:
    widths = [35, 43, 35, 43]
    t = table(doc, widths)
    for cells in REGISTER:
        row(t, *cells, spans=() if len(cells) == 4 else (1, 3), height=height)
    _widths(t, widths)


def agreement():
    doc = new_document("社区戒毒（康复）协议书")
    para(doc, "{{ measure }}协议书", "文书标题")
    para(doc, "甲方（执行地）：{{ office_name }}", "顶格")
    para(doc, "地址：{{ office_address }}　　联系电话：{{ office_phone }}", "顶格")
    para(doc, "乙方（{{ measure }}人员）：{{ name }}", "顶格")
    para(doc, "性别：{{ sex }}　　出生日期：{{ birth_date }}", "顶格")
    para(doc, "身份证号：{{ id_number }}", "顶格")
    para(doc, "联系电话：{{ phone }}", "顶格")
    para(doc, "户籍地：{{ household_address }}", "顶格")
    para(doc, "居住地：{{ residence_address }}", "顶格")
    para(doc, "{{ decision_authority }}于{{ decided_on }}责令乙方{{ measure }}（决定书文号：{{ decision_number }}）。"
              "乙方于{{ reported_on }}到甲方报到，{{ measure }}期限{{ term_text }}，自{{ term_start }}起至{{ term_end }}止"
              "（中止期间不计入期限）。依照《中华人民共和国禁毒法》《戒毒条例》，甲乙双方签订本协议。")
    para(doc, "一、甲方的责任", "一级标题")
    para(doc, "（一）对乙方进行戒毒知识辅导、教育和劝诫；")
    para(doc, "（二）根据乙方的情况，提供职业技能培训、职业指导以及就学、就业、就医援助；")
    para(doc, "（三）指定{{ worker }}为乙方的负责专干，与社区民警、社区医务人员、乙方家庭成员和禁毒志愿者组成"
              "{{ measure }}工作小组，落实{{ measure }}措施；")
    para(doc, "（四）对乙方的个人信息依法保密。")
    para(doc, "二、乙方的义务", "一级标题")
    para(doc, "（一）遵守法律、法规和本协议，服从{{ measure }}工作小组的管理，不得吸食、注射毒品；")
    para(doc, "（二）按要求接受检测：尿液检测{{ urine_test_cadence }}，毛发检测{{ hair_test_cadence }}，"
              "以及公安机关和工作小组随时要求的检测；")
    para(doc, "（三）接受谈话和走访：面对面谈话{{ talk_cadence }}，入户走访{{ home_visit_cadence }}，"
              "评估{{ assessment_cadence }}；联系电话、住址变更的，及时告知负责专干；")
    para(doc, "（四）离开执行地所在县（市、区）3日以上的，事先向甲方书面报告，按时返回并销假。")
    para(doc, "三、违反协议的处理", "一级标题")
    para(doc, "乙方在{{ measure }}期间吸食、注射毒品，或者有下列严重违反本协议情形之一的，甲方将及时报告公安机关："
              "（一）逃避或者拒绝接受检测3次以上的；（二）擅自离开执行地所在县（市、区）3次以上或者累计超过30日的。"
              "公安机关依照《中华人民共和国禁毒法》第三十八条处理。")
    para(doc, "四、其他", "一级标题")
    para(doc, "本协议自双方签字（盖章）之日起生效，至{{ measure }}期满解除或者终止时止。执行地变更的，"
              "乙方应当在变更后15日内到新的执行地报到，并重新签订协议。本协议一式三份，甲方、乙方和公安机关各执一份。")
    doc.add_paragraph("", style="顶格")
    t = table(doc, [86, 70], borders=False, style="顶格")
    row(t, "甲方（盖章）", "乙方（签名）")
    row(t, "{{ office_name }}", "", height=18)
    row(t, "负责专干（签名）", "家属（签名）", height=18)
    row(t, "　　　　年　　月　　日", "　　　　年　　月　　日")
    _widths(t, [86, 70])
    return doc


def register_card():
    doc = new_document("人员登记表")
    para(doc, "{{ measure }}人员登记表", "文书标题")
    para(doc, "填表单位：{{ office_name }}", "顶格")
    para(doc, "填表日期：{{ issued_on }}", "顶格")
    register_table(doc, height=9)
    doc.add_paragraph("", style="顶格")
    para(doc, "填表人（负责专干）：{{ worker }}　　　　审核人：", "顶格")
    return doc


def police_letter():
    doc = new_document("报告公安函")
    para(doc, "关于{{ name }}{{ flag }}情况的报告", "文书标题")
    para(doc, "{{ police_unit }}：", "顶格")
    para(doc, "{{ name }}，{{ sex }}，{{ birth_date }}出生，身份证号{{ id_number }}，户籍地{{ household_address }}，"
              "居住地{{ residence_address }}，联系电话{{ phone }}。{{ decision_authority }}责令其{{ measure }}"
              "（决定书文号：{{ decision_number }}），执行地{{ street }}，报到日期{{ reported_on }}，负责专干{{ worker }}。"
              "现将其{{ flag }}情况报告如下。")
    para(doc, "一、事实", "一级标题")
    para(doc, "{{ flag_reason }}。该情形产生于{{ triggered_on }}。依据的记录：", "表前")
    para(doc, "{%p for e in evidence %}")
    para(doc, "{{ loop.index }}．{{ e.text }}")
    para(doc, "{%p endfor %}")
    para(doc, "二、依据", "一级标题")
    para(doc, "依照{{ legal_basis }}的规定，现予报告，请依法处理。")
    para(doc, "特此报告。")
    signature(doc)
    return doc


def release_request():
    doc = new_document("催要解除通知书函")
    para(doc, "关于商请送达{{ name }}解除{{ measure }}通知书的函", "文书标题")
    para(doc, "{{ police_unit }}：", "顶格")
    para(doc, "{{ name }}（{{ sex }}，身份证号{{ id_number }}）经{{ decision_authority }}决定"
              "（决定书文号：{{ decision_number }}）在{{ street }}执行{{ measure }}，于{{ reported_on }}报到，"
              "期限{{ term_text }}，已于{{ term_end }}届满。")
    para(doc, "依照{{ legal_basis }}，{{ measure }}期满的，公安机关应当出具解除"
              "{{ measure }}通知书，并在7日内（{{ notice_due }}前）通知执行地。截至{{ issued_on }}，"
              "我单位尚未收到该通知书，已超过{{ days_late }}日。")
    para(doc, "请贵单位尽快出具并送达解除{{ measure }}通知书，以便办理期满解除手续。")
    para(doc, "特此函告。")
    signature(doc)
    return doc


def person_file():
    doc = new_document("一人一档")
    para(doc, "一人一档", "文书标题")
    para(doc, "{{ name }}（案件编号 {{ case_id }}）　截至{{ issued_on }}", "居中")
    para(doc, "一、基本情况", "一级标题")
    register_table(doc)
    para(doc, "二、状态变化", "一级标题")
    t = table(doc, [36, 28, 28, 64], style="小表格")
    header_row(t, "日期", "原状态", "新状态", "原因")
    loop_rows(t, "history", "h", ["on", "previous", "status", "reason"])
    _widths(t, [36, 28, 28, 64])
    para(doc, "三、标记", "一级标题")
    t = table(doc, [24, 34, 38, 36, 24], style="小表格")
    header_row(t, "标记", "产生日期", "情况", "依据", "报告公安")
    loop_rows(t, "flags", "f", ["flag", "triggered_on", "reason", "evidence", "police"])
    _widths(t, [24, 34, 38, 36, 24])
    para(doc, "四、工作记录（按日期）", "一级标题")
    para(doc, "检测 {{ test_count }} 次，走访 {{ visit_count }} 次，外出 {{ leave_count }} 次，"
              "报告公安 {{ police_report_count }} 次。", "表前")
    t = table(doc, [36, 18, 86, 16], style="小表格")
    header_row(t, "日期", "类别", "内容", "编号")
    loop_rows(t, "events", "e", ["on", "type", "text", "record"])
    _widths(t, [36, 18, 86, 16])
    doc.add_paragraph("", style="顶格")
    para(doc, "制表单位：{{ office_name }}", "顶格")
    para(doc, "负责专干：{{ worker }}　　制表日期：{{ issued_on }}", "顶格")
    return doc


def worker_ledger():
    doc = new_document("工作台账", landscape=True)
    para(doc, "禁毒专干工作台账", "文书标题")
    para(doc, "专干：{{ worker }}　　街道：{{ streets }}　　月份：{{ period }}　　负责 {{ people_count }} 人", "顶格")
    para(doc, "期间：{{ period_start }}至{{ period_end }}", "顶格")
    widths = [24, 14, 36, 20, 137, 16]
    t = table(doc, widths, style="小表格")
    header_row(t, "姓名", "编号", "日期", "类别", "内容", "记录")
    loop_rows(t, "entries", "e", ["name", "case_id", "on", "type", "text", "record"])
    _widths(t, widths)
    para(doc, "禁毒宣传、入户调查和筛查", "一级标题")
    widths = [36, 22, 173, 16]
    t = table(doc, widths, style="小表格")
    header_row(t, "日期", "类别", "内容", "编号")
    loop_rows(t, "work", "w", ["on", "type", "text", "record"])
    _widths(t, widths)
    para(doc, "合计", "一级标题")
    t = table(doc, [60, 30], style="小表格", together=True)
    header_row(t, "项目", "次数")
    loop_rows(t, "totals", "t", ["item", "count"])
    _widths(t, [60, 30])
    doc.add_paragraph("", style="顶格")
    para(doc, "专干（签名）：　　　　　　审核人（签名）：　　　　　　{{ issued_on }}", "顶格")
    return doc


TEMPLATES = {
    "agreement": agreement, "register-card": register_card, "police-letter": police_letter,
    "release-request": release_request, "person-file": person_file, "worker-ledger": worker_ledger,
}


def fixed_bytes(doc) -> bytes:
    """The document's bytes with every zip entry at one fixed time."""
    raw = io.BytesIO()
    doc.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


def main(argv: list[str]) -> None:
    folder = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent / "data" / "templates"
    folder.mkdir(parents=True, exist_ok=True)
    for name, make in TEMPLATES.items():
        (folder / f"{name}.docx").write_bytes(fixed_bytes(make()))
        print(folder / f"{name}.docx")


if __name__ == "__main__":
    main(sys.argv)
