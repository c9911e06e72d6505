"""Write a jaarverslag (bot/services/report.py's Report) as Markdown or as a Word document.

Both follow the team's own reports: pillars as first-level headings, overlegorganen below
them, "Rol regie:" and "Resultaat:" paragraphs, the agenda as a bulleted list. The .docx uses
Word's built-in styles (Title, Heading 1-3, List Bullet, Table Grid), so the navigation pane,
a table of contents and LibreOffice all see real headings and lists. Text from the store is
plain text in Word and escaped only where Markdown would read it as markup.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

from bot.domain.dutch_words import counted, times
from bot.services.report import (
    ActionLine,
    BodySection,
    PartnerLine,
    Report,
    SignalLine,
    clean,
    nl_date,
    nl_dates,
)

# Markdown reads these as markup anywhere in a line; a backslash makes them literal (CommonMark
# allows it before any ASCII punctuation). "<" and "&" included: raw HTML and entities pass
# through most Markdown renderers.
_MD_INLINE = re.compile(r"([\\`*_\[\]<>#|&~])")
# At the start of a line these would open a list, a heading or a thematic break.
_MD_LINE_START = re.compile(r"^(\s*)(?:([-+])|(\d+)([.)]))(?=\s|$|[-+])")


def md(text: str | None) -> str:
    """Plain text made safe for one Markdown line (no markup, no HTML, no list marker)."""
    escaped = _MD_INLINE.sub(r"\\\1", clean(text))
    return _MD_LINE_START.sub(_escape_marker, escaped)


def _escape_marker(m: re.Match[str]) -> str:
    if m.group(2):
        return f"{m.group(1)}\\{m.group(2)}"
    return f"{m.group(1)}{m.group(3)}\\{m.group(4)}"


def _label(line: str) -> tuple[str, str]:
    """'Resultaat: De ... kwam ...' as ('Resultaat:', 'De ... kwam ...')."""
    label, sep, rest = line.partition(": ")
    return (label + ":", rest) if sep and len(label) <= 20 else ("", line)


def _body_lines(section: BodySection, report: Report) -> list[tuple[str, Any]]:
    """The body's content as (kind, value): para, labelled, list items; shared by both formats."""
    out: list[tuple[str, Any]] = [
        ("labelled", _label(section.role_line)),
        ("labelled", _label(section.result)),
    ]
    if section.dates:
        out.append(("labelled", ("Vergaderingen:", nl_dates(section.dates) + ".")))
    if section.planned:
        out.append(("labelled", ("Nog gepland:", nl_dates(section.planned) + ".")))
    if section.cancelled:
        out.append(("labelled", ("Geannuleerd:", f"{times(section.cancelled)}.")))
    if section.topics:
        out.append(("para", "Op de agenda stonden:"))
        items = [t if n == 1 else f"{t} ({times(n)})" for t, n in section.topics]
        if section.topics_more:
            items.append(f"… en nog {section.topics_more} andere onderwerpen")
        out.append(("list", items))
    if section.notes:
        out.append(("para", "Notities:"))
        items = [f"{nl_date(d)}: {text}" for d, text in section.notes]
        if section.notes_more:
            items.append(f"… en nog {section.notes_more} notities")
        out.append(("list", items))
    if section.attendees:
        out.append(("labelled", ("Aan tafel:", ", ".join(section.attendees) + ".")))
    return out


def _chart_table(report: Report) -> list[tuple[str, str, str]]:
    rows = []
    for row in report.chart_rows:
        rows.append((row.name, str(row.held), str(row.target)))
    return rows


def _signal_item(s: SignalLine) -> str:
    facts = []
    if s.themes:
        facts.append("thema's: " + ", ".join(s.themes))
    if s.source:
        facts.append(f"bron: {s.source}")
    facts.append(f"aan: {s.addressee}" if s.addressee else "nog geen bestemmeling")
    facts.append(f"status: {s.status}")
    return f"{nl_date(s.date)}: {s.text} ({'; '.join(facts)})"


def _action_item(a: ActionLine) -> str:
    return f"{a.code} {a.title} ({', '.join(a.bodies)})"


def _partner_item(p: PartnerLine) -> str:
    return f"{p.name} ({', '.join(p.bodies)})"


# --- Markdown ---------------------------------------------------------------------------------


def render_markdown(report: Report, chart_name: str | None = None) -> str:
    """The report as Markdown; chart_name, when given, is the file the chart image is in."""
    out: list[str] = [f"# {md(report.title)}", ""]
    for line in report.intro:
        out += [md(line), ""]
    for pillar in report.pillars:
        out += [f"## {md(pillar.title)}", ""]
        if not pillar.bodies:
            out += [md(f"Geen overlegorgaan van deze pijler was actief in {report.year}."), ""]
        for section in pillar.bodies:
            out += [f"### {md(section.name)}", ""]
            for kind, value in _body_lines(section, report):
                if kind == "labelled":
                    label, text = value
                    out += [f"**{md(label)}** {md(text)}" if label else md(text), ""]
                elif kind == "para":
                    out += [md(value), ""]
                else:
                    out += [f"- {md(item)}" for item in value] + [""]
    out += ["## Vergaderingen tegenover doel", ""]
    if chart_name:
        out += [f"![{md(report.chart_title)}](<{chart_name.replace('>', '')}>)", ""]
    table = _chart_table(report)
    if table:
        out += ["| Overlegorgaan | Gehouden | Doel |", "|---|---:|---:|"]
        out += [f"| {md(name)} | {held} | {goal} |" for name, held, goal in table]
        out.append("")
    else:
        out += [md(f"Geen overlegorgaan met een vergaderritme in {report.year}."), ""]
    out += ["## Signalen", "", md(report.signal_summary), ""]
    if report.signals:
        out += [f"- {md(_signal_item(s))}" for s in report.signals]
        if report.signals_more:
            out.append(f"- {md(f'… en nog {report.signals_more} signalen')}")
        out.append("")
    out += ["## Acties en partners", "", "### Acties die de vergaderingen raakten", ""]
    if report.actions:
        plan = f" ({md(report.plan.id)})" if report.plan else ""
        out.append(md(f"Acties van het plan in voege{plan} waarvan een overlegorgaan samenkwam:"))
        out.append("")
        out += [f"- {md(_action_item(a))}" for a in report.actions]
    else:
        out.append("Geen.")
    out += ["", "### Partners", ""]
    if report.partners:
        out += [f"- {md(_partner_item(p))}" for p in report.partners]
    else:
        out.append("Geen.")
    out.append("")
    return "\n".join(out)


# --- Word -------------------------------------------------------------------------------------


def _dutch_language(document: Any) -> None:
    """Mark the text as Dutch (Belgium) so Word and LibreOffice check spelling in Dutch."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    rpr = document.styles["Normal"].element.get_or_add_rPr()
    for old in rpr.findall(qn("w:lang")):
        rpr.remove(old)
    lang = OxmlElement("w:lang")
    for attr in ("w:val", "w:eastAsia", "w:bidi"):
        lang.set(qn(attr), "nl-BE")
    rpr.append(lang)


def render_docx(report: Report, chart: bytes | None) -> bytes:
    """The report as a .docx with real headings, bulleted lists, the chart and a table."""
    from docx import Document
    from docx.shared import Cm

    document = Document()
    _dutch_language(document)
    props = document.core_properties
    props.title = report.title
    props.subject = "Regierol sociale economie en werk - W13"
    props.author = "regiebot"
    props.language = "nl-BE"
    props.created = dt.datetime.combine(report.today, dt.time(), tzinfo=dt.UTC)
    # Setting a paragraph's style by name or object looks up the default style each time (a
    # scan of every style): 7 s for 4,000 list items. The style id is set on the XML instead.
    bullet_id = document.styles["List Bullet"].style_id

    def para(text: str) -> None:
        document.add_paragraph(clean(text, 100_000))

    def labelled(label: str, text: str) -> None:
        p = document.add_paragraph()
        if label:
            p.add_run(label + " ").bold = True
        p.add_run(clean(text, 100_000))

    def items(values: list[str]) -> None:
        for value in values:
            document.add_paragraph(clean(value, 100_000))._p.style = bullet_id

    document.add_heading(report.title, level=0)
    for line in report.intro:
        para(line)
    for pillar in report.pillars:
        document.add_heading(clean(pillar.title, 500), level=1)
        if not pillar.bodies:
            para(f"Geen overlegorgaan van deze pijler was actief in {report.year}.")
        for section in pillar.bodies:
            document.add_heading(clean(section.name, 300), level=2)
            for kind, value in _body_lines(section, report):
                if kind == "labelled":
                    labelled(*value)
                elif kind == "para":
                    para(value)
                else:
                    items(value)
    document.add_heading("Vergaderingen tegenover doel", level=1)
    if chart:
        document.add_picture(io.BytesIO(chart), width=Cm(16))
        document.add_paragraph(report.chart_title, style="Caption")
    table_rows = _chart_table(report)
    if table_rows:
        table = document.add_table(rows=1, cols=3)
        table.style = document.styles["Table Grid"]
        for cell, text in zip(
            table.rows[0].cells, ("Overlegorgaan", "Gehouden", "Doel"), strict=True
        ):
            cell.text = ""
            cell.paragraphs[0].add_run(text).bold = True
        for row in table_rows:
            for cell, text in zip(table.add_row().cells, row, strict=True):
                cell.text = clean(text, 300)
    else:
        para(f"Geen overlegorgaan met een vergaderritme in {report.year}.")
    document.add_heading("Signalen", level=1)
    para(report.signal_summary)
    items([_signal_item(s) for s in report.signals])
    if report.signals_more:
        items([f"… en nog {report.signals_more} signalen"])
    document.add_heading("Acties en partners", level=1)
    document.add_heading("Acties die de vergaderingen raakten", level=2)
    if report.actions:
        plan = f" ({report.plan.id})" if report.plan else ""
        para(f"Acties van het plan in voege{plan} waarvan een overlegorgaan samenkwam:")
        items([_action_item(a) for a in report.actions])
    else:
        para("Geen.")
    document.add_heading("Partners", level=2)
    if report.partners:
        para(
            f"{counted(len(report.partners), 'partner', 'partners')} zaten aan tafel bij de "
            "overlegorganen die samenkwamen:"
        )
        items([_partner_item(p) for p in report.partners])
    else:
        para("Geen.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
