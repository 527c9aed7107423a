"""GX Data Docs that work offline: after GX writes the site, no file in it fetches or links another host.

GX's page templates load jQuery, Bootstrap, bootstrap-table, Vega and Font Awesome from CDNs, and the
index page fills its tables from JavaScript; offline the pages render unstyled, with empty tables. So
`make_offline(site)` rewrites every page GX wrote:

- `<script>` and remote `<link>` tags go (without jQuery from a CDN none of GX's scripts can run),
  and so do the buttons that called them;
- the index's tables get the rows GX embedded in those scripts, as static HTML with their links;
- `OFFLINE_CSS`, inline, stands in for the few Bootstrap rules the pages rely on;
- Font Awesome icons become text (✓, ✗), GX's logo from its CDN becomes the copy GX ships in `static/`;
- a link to another host keeps its text and loses its `href`.

Pure Python + BeautifulSoup; no network, nothing vendored beyond what GX itself ships.
"""
from __future__ import annotations

import ast
import os
import re
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup, Tag

_REMOTE = re.compile(r"^\s*(?:https?:)?//", re.I)
_REMOTE_CSS_URL = re.compile(r"""url\(\s*(['"]?)(?:https?:)?//[^)'"]*\1\s*\)""", re.I)
LOGO = Path("static/images/logo-long.png")   # shipped by GX in every site it builds
# GX fills each index table with `$('#id').bootstrapTable(Object.assign({columns: [...], data: [...], ...`
_TABLE_DATA = re.compile(r"\$\('#(?P<id>[\w-]+)'\)\.bootstrapTable\(\s*Object\.assign\(\s*\{\s*"
                         r"columns:\s*(?P<columns>\[.*?\]),\s*data:\s*(?P<data>\[.*?\]),\s*toolbar:", re.S)

OFFLINE_CSS = """
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1d2433}
.container,.container-fluid{padding:0 1rem;max-width:100%}
.row{display:flex;flex-wrap:wrap;gap:1rem}
[class*="col-"]{flex:1 1 18rem;min-width:0;overflow-x:auto}
.col-2,.col-md-2,.col-lg-2,.col-xl-2,.col-3,.col-md-3,.col-lg-3,.col-xl-3{flex:0 1 16rem}
nav,.navbar{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;padding:.5rem 1rem;border-bottom:1px solid #dfe3ea}
.card{border:1px solid #dfe3ea;border-radius:.4rem;margin:.75rem 0;overflow-x:auto}
.card-header{background:#f6f7f9;padding:.5rem .75rem;border-bottom:1px solid #dfe3ea}
.card-body{padding:.5rem .75rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border-bottom:1px solid #dfe3ea;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f7f9}
.text-success,.ge-ok{color:#067647}.text-danger,.ge-failed{color:#b42318}
.badge{display:inline-block;border:1px solid currentColor;border-radius:.6rem;padding:0 .4rem;font-size:.8rem}
.cooltip .top{display:none}
.sticky-top{position:static}
img{max-width:100%;height:auto}
""".strip()


def make_offline(site: Path) -> None:
    """Rewrite the Data Docs under `site` in place so that they need no network."""
    site = Path(site)
    for css in site.rglob("*.css"):
        text = css.read_text(encoding="utf-8")
        local = _REMOTE_CSS_URL.sub(_css_url(css.parent, site), text)
        if local != text:
            css.write_text(local, encoding="utf-8")
    for page in site.rglob("*.html"):
        page.write_text(_offline_page(page.read_text(encoding="utf-8"), page, site), encoding="utf-8")


def _css_url(folder: Path, site: Path) -> str:
    return f"url('{Path(os.path.relpath(site / LOGO, folder)).as_posix()}')"


def _offline_page(html: str, page: Path, site: Path) -> str:
    soup = BeautifulSoup(html, "html.parser")
    _fill_index_tables(soup)
    for tag in soup.find_all(["script", "link", "button"]):
        # A button's onclick called GX's scripts (clear the table filters): without them it does nothing.
        if tag.name == "script" or _REMOTE.match(str(tag.get("href") or "")) or tag.get("onclick"):
            tag.decompose()
    for style in soup.find_all("style"):
        style.string = _REMOTE_CSS_URL.sub(_css_url(page.parent, site), style.get_text())
    for tag in soup.find_all(True):
        _localise(tag, page, site)
    _add_style(soup)
    return str(soup)


def _localise(tag: Tag, page: Path, site: Path) -> None:
    """One element's remote references: the logo comes from `static/`, icons become text, links lose href."""
    if tag.name == "i" and any(c.startswith("fa") for c in tag.get("class") or []):
        _icon_as_text(tag)
        return
    for attribute in ("src", "href", "srcset", "poster", "action"):
        if not _REMOTE.match(str(tag.get(attribute) or "")):
            continue
        if tag.name == "img":
            tag[attribute] = Path(os.path.relpath(site / LOGO, page.parent)).as_posix()
        else:
            del tag[attribute]


def _icon_as_text(icon: Tag) -> None:
    classes = " ".join(icon.get("class") or [])
    text, css = ("✓", "ge-ok") if "check" in classes else ("✗", "ge-failed") if "times" in classes \
        else ("!", "ge-failed") if "exclamation" in classes else ("", "")
    icon.name, icon.attrs = "span", {"class": css} if css else {}
    icon.string = text


def _fill_index_tables(soup: BeautifulSoup) -> None:
    """The index's tables, as static rows from the data GX put in their bootstrapTable scripts."""
    for script in soup.find_all("script"):
        for found in _TABLE_DATA.finditer(script.get_text()):
            table = soup.find("table", id=found["id"])
            try:
                columns, rows = ast.literal_eval(found["columns"]), ast.literal_eval(found["data"])
            except (ValueError, SyntaxError):   # another GX version's script: leave that table as it is
                continue
            if table is not None:
                _static_table(soup, table, columns, rows)


def _static_table(soup: BeautifulSoup, table: Tag, columns: list[dict[str, Any]], rows: list[dict[str, Any]]) -> None:
    table.clear()
    head = soup.new_tag("tr")
    for column in columns:
        cell = soup.new_tag("th")
        cell.string = str(column.get("title", column.get("field", "")))
        head.append(cell)
    table.append(_wrapped(soup, "thead", head))
    body = soup.new_tag("tbody")
    for row in rows:
        line = soup.new_tag("tr")
        for n, column in enumerate(columns):
            line.append(_static_cell(soup, row, str(column.get("field", "")), link=n == 1 or len(columns) == 1))
        body.append(line)
    table.append(body)


def _static_cell(soup: BeautifulSoup, row: dict[str, Any], field: str, link: bool) -> Tag:
    cell = soup.new_tag("td")
    fragment = BeautifulSoup(str(row.get(field, "")), "html.parser")
    target = row.get("_table_row_link_path")
    if link and target and fragment.find("a") is None:   # the row's page: what a click on the row opened
        anchor = soup.new_tag("a", href=str(target))
        anchor.append(fragment)
        cell.append(anchor)
    else:
        cell.append(fragment)
    return cell


def _wrapped(soup: BeautifulSoup, name: str, child: Tag) -> Tag:
    outer = soup.new_tag(name)
    outer.append(child)
    return outer


def _add_style(soup: BeautifulSoup) -> None:
    style = soup.new_tag("style")
    style.string = OFFLINE_CSS
    (soup.head or soup).append(style)
