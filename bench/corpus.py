"""Synthetic corpus for the benchmark: N documents (markdown, text, HTML) with planted conflicts.

Every document is built from *facts*: an (entity, metric, period) key with one canonical value, so
that two documents stating the same fact always agree unless a conflict is planted on purpose.
Planted conflicts (value, category, period, date, arithmetic) and planted look-alikes (the same
figure written differently, a point inside a range, quarterly next to annual, different as-of
dates, different scopes, a correct combined total, a date inside another) are put at known places
and listed in `truth.json` beside the corpus, with the key a detected conflict must carry.

    python -m bench.corpus --n 100 --out bench/corpus/n100

Entity and metric names come from vocab/*.yaml; the generator does not change the vocabulary.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import html
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

# Companies with a calendar fiscal year (so "2019" means the same span in tables and prose) whose
# canonical vocabulary name is also an alias that reads unambiguously in a sentence.
COMPANIES = [
    "Amazon", "Google", "Meta", "OpenAI", "xAI", "SpaceX", "Tesla", "Anthropic", "CoreWeave", "Nebius",
    "Crusoe", "Nscale", "AMD", "Intel", "TSMC", "ASML", "Samsung", "DeepSeek", "ByteDance", "Tencent",
    "Baidu", "Huawei", "Mistral", "Cohere", "Perplexity", "Databricks", "ServiceNow", "Palantir", "IBM",
    "Dell", "Supermicro", "Foxconn", "Corning", "Uber", "Waabi", "Decagon", "Synthesia", "Equinix",
]
# (parent, sub-entity) pairs: a figure for the sub-entity written in the parent's AI-revenue cell.
SUB_ENTITIES = [("Amazon", "AWS"), ("Google", "Google Cloud"), ("Meta", "Instagram"), ("Meta", "WhatsApp"),
                ("SpaceX", "Starlink"), ("Google", "DeepMind"), ("Amazon", "AWS Bedrock"), ("Tesla", "Optimus"),
                ("Google", "Waymo"), ("OpenAI", "ChatGPT")]
# metric name in the vocabulary -> (table row label, prose phrase)
ANNUAL_METRICS = {"revenue": ("Revenue", "revenue"), "capex": ("CapEx", "capex"),
                  "cloud_revenue": ("Cloud Revenue", "cloud revenue"), "ad_revenue": ("Ad Revenue", "ad revenue")}
# Prose subjects start a sentence; the engine's sentence splitter needs an upper-case start (see README).
PROSE_OK = [c for c in COMPANIES if c[0].isupper()]
YEARS = list(range(2001, 2031))
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
FORMATS = ("markdown", "text", "html")
SUFFIX = {"markdown": ".md", "text": ".txt", "html": ".html"}

FILLER = [
    "Analysts continue to debate whether the current investment cycle can be sustained by demand from enterprise customers.",
    "The company did not comment on the report, and several details remain unconfirmed by independent sources.",
    "Supply of advanced packaging and high-bandwidth memory remains the main constraint on new deployments.",
    "Management described the quarter as a period of disciplined execution against a long-term roadmap.",
    "Industry observers note that power availability, not chips, is increasingly the limiting factor for new sites.",
    "Partners expect the new platform to shorten integration work for developers building agentic applications.",
    "Regulators in several jurisdictions have opened consultations on the competitive effects of these agreements.",
    "The roadmap places inference efficiency ahead of raw training throughput for the next generation of systems.",
]


def _h(*parts: object) -> int:
    return int(hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:12], 16)


def canonical(entity: str, metric: str, period: str) -> float:
    """The one value every document states for a fact, in billions of USD (1.0 – 99.9, one decimal)."""
    return round(1 + (_h(entity, metric, period) % 989) / 10, 1)


def money(b: float, style: int = 0) -> str:
    """A USD figure in billions, written in one of several equivalent forms (look-alike renderings)."""
    if style == 1:
        return f"${b * 1000:,.0f}M"
    if style == 2:
        return f"US${b:g} billion"
    return f"${b:g}B"


@dataclass
class Doc:
    index: int
    source_id: str
    fmt: str
    published: dt.date
    blocks: list = field(default_factory=list)   # ("h", text) | ("kv", heading, rows, header) | ("p", text) | ("ul", items)


@dataclass
class Plan:
    n: int
    seed: int
    docs: list[Doc]
    truth: dict


def _published(i: int, rng: random.Random) -> dt.date:
    # Spread as-of dates over 2016-2026 so undated figures fall in many different periods.
    return dt.date(2016 + (i * 7) % 11, 1 + (i * 5) % 12, 1 + rng.randrange(27))


def _quarter(d: dt.date) -> str:
    q = (d.month - 1) // 3
    return f"{d.year}-Q{q}" if q else f"{d.year - 1}-Q4"


def build(n: int, seed: int = 7, target_bytes: int = 25_000) -> Plan:
    rng = random.Random(seed)
    docs = [Doc(i, f"doc-{i:05d}", FORMATS[i % 3], _published(i, rng)) for i in range(n)]
    truth: dict = {"n": n, "seed": seed, "conflicts": [], "lookalikes": []}

    # Fact keys (entity, metric, year): a shuffled partition into planted and background facts.
    keys = [(e, m, y) for e in COMPANIES for m in ANNUAL_METRICS for y in YEARS]
    rng.shuffle(keys)
    reserved: set = set()

    def take_key() -> tuple:
        k = keys.pop()
        while k[0] not in PROSE_OK:
            keys.insert(0, k)
            k = keys.pop()
        reserved.add(k)
        return k

    def two_docs() -> tuple[Doc, Doc]:
        if n == 1:
            return docs[0], docs[0]
        a, b = rng.sample(range(n), 2)
        return docs[a], docs[b]

    def section(doc: Doc, entity: str, topic: str) -> None:
        doc.blocks.append(("h", f"Slide {len(doc.blocks) + 1} — {entity}: {topic}"))

    count = lambda share, floor=1: max(floor, n // share)  # noqa: E731

    # value: the same (entity, metric, year) with non-overlapping values in two documents.
    for _ in range(count(4, 2)):
        e, m, y = take_key()
        v = canonical(e, m, str(y))
        d1, d2 = two_docs()
        section(d1, e, "Financial Summary")
        d1.blocks.append(("kv", [(ANNUAL_METRICS[m][0], money(v), str(y))], ("Metric", "Value", "Source Period")))
        d2.blocks.append(("p", f"{e}’s {y} {ANNUAL_METRICS[m][1]} was {money(round(v * 1.3 + 1, 1))}, "
                               f"according to people familiar with the figures."))
        truth["conflicts"].append({"kind": "value", "entity": e, "metric": m, "period": str(y),
                                   "sources": sorted({d1.source_id, d2.source_id})})

    # value on a point metric with an approximate figure: "~$730B" vs "$830B" as of the same month.
    for k in range(count(10)):
        e = PROSE_OK[k % len(PROSE_OK)]
        d1, d2 = two_docs()
        month = f"{MONTHS[d1.published.month - 1]} {d1.published.year}"
        v = 100 + _h(e, "valuation", k) % 800
        section(d1, e, "Valuation")
        d1.blocks.append(("kv", [("Valuation", f"~${v}B", month)], ("Metric", "Value", "Date")))
        d2.blocks.append(("p", f"{e}’s valuation reached ${round(v * 1.25)}B in {month}."))
        truth["conflicts"].append({"kind": "value", "entity": e, "metric": "valuation",
                                   "period": f"{d1.published.year}-{d1.published.month:02d}",
                                   "sources": sorted({d1.source_id, d2.source_id})})

    # category: a sub-entity's run rate written in the parent's "AI Revenue (Annual)" column.
    # period: a per-quarter figure in the same annual column. Both in an AI-revenue comparison table.
    for k in range(count(8)):
        parent, sub = SUB_ENTITIES[k % len(SUB_ENTITIES)]
        d = docs[rng.randrange(n)]
        others = [c for c in COMPANIES if c not in (parent,)]
        q_ent = rng.choice([c for c in others if c not in [r[0] for r in SUB_ENTITIES]])
        bg = rng.choice([c for c in others if c != q_ent])
        y = d.published.year
        rows = [
            (parent, f"${canonical(parent, 'sub', y):g}B+ {sub} run rate"),
            (q_ent, f"${canonical(q_ent, 'ai_revenue_q', _quarter(d.published)):g}B/quarter"),
            (bg, f"${canonical(bg, 'ai_revenue', y):g}B+ run rate"),
        ]
        d.blocks.append(("h", f"Slide {len(d.blocks) + 1} — Direct AI Revenue Comparison"))
        d.blocks.append(("kv", [(a, "Enterprise platform", b) for a, b in rows],
                         ("Company", "Enterprise AI Revenue Vehicle", "AI Revenue (Annual)")))
        truth["conflicts"].append({"kind": "category", "entity": parent, "metric": "ai_revenue", "period": str(y),
                                   "stated": sub, "sources": [d.source_id]})
        truth["conflicts"].append({"kind": "period", "entity": q_ent, "metric": "ai_revenue",
                                   "period": _quarter(d.published), "sources": [d.source_id]})
        truth["lookalikes"].append({"kind": "category", "what": "a run rate (scope any) in an AI-revenue column",
                                    "entity": bg, "metric": "ai_revenue", "sources": [d.source_id]})

    # arithmetic: a "combined" total that is not the sum of the stated parts (parts stated beside it).
    pairs_used: set = set()
    for k in range(count(8)):
        d = docs[rng.randrange(n)]
        while True:
            a, b = rng.sample(PROSE_OK, 2)
            y = rng.choice(YEARS)
            if (a, y) not in pairs_used and (b, y) not in pairs_used and (a, "capex", y) not in reserved \
                    and (b, "capex", y) not in reserved:
                break
        pairs_used |= {(a, y), (b, y)}
        va, vb = canonical(a, "capex", str(y)), canonical(b, "capex", str(y))
        wrong = round((va + vb) * 1.4 + 2, 1)
        d.blocks.append(("p", f"{a}’s {y} capex guidance is {money(va)}. {b}’s {y} capex guidance is {money(vb)}. "
                              f"Combined {y} capex for {a} and {b} reached {money(wrong)}."))
        truth["conflicts"].append({"kind": "arithmetic", "entity": "+".join(sorted((a, b))), "metric": "capex",
                                   "period": str(y), "sources": [d.source_id]})
        # look-alike: a correct combined total for another pair.
        while True:
            c1, c2 = rng.sample(PROSE_OK, 2)
            y2 = rng.choice(YEARS)
            if (c1, y2) not in pairs_used and (c2, y2) not in pairs_used and (c1, "capex", y2) not in reserved \
                    and (c2, "capex", y2) not in reserved:
                break
        pairs_used |= {(c1, y2), (c2, y2)}
        v1, v2 = canonical(c1, "capex", str(y2)), canonical(c2, "capex", str(y2))
        d.blocks.append(("p", f"{c1}’s {y2} capex guidance is {money(v1)}. {c2}’s {y2} capex guidance is "
                              f"{money(v2)}. Combined {y2} capex for {c1} and {c2} reached {money(round(v1 + v2, 1))}."))
        truth["lookalikes"].append({"kind": "arithmetic", "what": "a combined total equal to the sum of its parts",
                                    "entity": "+".join(sorted((c1, c2))), "metric": "capex", "sources": [d.source_id]})

    # date: the same event dated differently ("IPO in Q4 2027" vs "a 2029 listing"); look-alike: a month
    # inside the quarter. One entity per event key (the date key has no period), so the count is capped.
    date_entities = PROSE_OK[:]
    rng.shuffle(date_entities)
    n_date = min(count(8), len(date_entities) // 2)
    for k in range(n_date):
        e = date_entities[k]
        y = 2027 + k % 3
        d1, d2 = two_docs()
        d1.blocks.append(("ul", [f"{e} is preparing an IPO in Q4 {y}, people close to the matter said."]))
        d2.blocks.append(("p", f"{e} is now said to be targeting a {y + 2} listing."))
        truth["conflicts"].append({"kind": "date", "entity": e, "metric": "ipo_date", "period": None,
                                   "sources": sorted({d1.source_id, d2.source_id})})
    for k in range(n_date, min(2 * n_date, len(date_entities))):
        e = date_entities[k]
        y = 2027 + k % 3
        d1, d2 = two_docs()
        d1.blocks.append(("ul", [f"{e} is preparing an IPO in Q4 {y}, people close to the matter said."]))
        d2.blocks.append(("p", f"{e} plans an IPO in November {y}."))
        truth["lookalikes"].append({"kind": "date", "what": "a month inside the quarter", "entity": e,
                                    "metric": "ipo_date", "sources": sorted({d1.source_id, d2.source_id})})

    # look-alikes on values, each stated in two documents.
    for k in range(count(6)):
        d1, d2 = two_docs()
        e, m, y = take_key()
        v = canonical(e, m, str(y))
        kind = k % 4
        if kind == 0:   # the same value written differently
            section(d1, e, "Key Figures")
            d1.blocks.append(("kv", [(ANNUAL_METRICS[m][0], money(v, 0), str(y))], ("Metric", "Value", "Source Period")))
            d2.blocks.append(("p", f"{e}’s {y} {ANNUAL_METRICS[m][1]} was {money(v, 1 + k % 2)}."))
            what = "the same value written differently"
        elif kind == 1:  # a point inside a range
            lo, hi = round(v * 0.9, 1), round(v * 1.1, 1)
            section(d1, e, "Guidance")
            d1.blocks.append(("kv", [(ANNUAL_METRICS[m][0], f"${lo:g}-{hi:g}B", str(y))], ("Metric", "Value", "Source Period")))
            d2.blocks.append(("p", f"{e}’s {y} {ANNUAL_METRICS[m][1]} was {money(v)}."))
            what = "a point inside a range"
        elif kind == 2:  # quarterly next to annual
            d1.blocks.append(("p", f"{e}’s {y} {ANNUAL_METRICS[m][1]} was {money(v)}."))
            d2.blocks.append(("p", f"{e}’s Q3 {y} {ANNUAL_METRICS[m][1]} was {money(round(v / 3.7, 1))}."))
            what = "a quarterly figure next to an annual one"
        else:           # different scopes: the company's revenue and its cloud revenue
            while (e, "revenue", y) in reserved or (e, "cloud_revenue", y) in reserved:
                e, m, y = take_key()
            reserved |= {(e, "revenue", y), (e, "cloud_revenue", y)}
            v = canonical(e, m, str(y))
            d1.blocks.append(("p", f"{e}’s {y} revenue was {money(round(v * 4, 1))}."))
            d2.blocks.append(("p", f"{e}’s {y} cloud revenue was {money(v)}."))
            what = "different scopes (total vs cloud revenue)"
        truth["lookalikes"].append({"kind": "value", "what": what, "entity": e, "metric": m,
                                    "sources": sorted({d1.source_id, d2.source_id})})
    # look-alike: the same count written differently ("555K" vs "555,000+"), and valuations at different dates.
    for k in range(count(10)):
        d1, d2 = two_docs()
        e = COMPANIES[(k * 7 + 3) % len(COMPANIES)]
        g = 100 + _h(e, "gpus") % 800
        y = d1.published.year
        section(d1, e, "Compute Fleet")
        d1.blocks.append(("kv", [("GPU Count", f"{g}K", str(y))], ("Metric", "Value", "Source Period")))
        section(d2, e, "Compute Fleet")
        d2.blocks.append(("kv", [("GPU Count", f"{g},000+", str(y))], ("Metric", "Value", "Source Period")))
        truth["lookalikes"].append({"kind": "value", "what": "the same count written differently (K vs ,000+)",
                                    "entity": e, "metric": "gpu_count", "sources": sorted({d1.source_id, d2.source_id})})

    # background: consistent facts until each document reaches its target size.
    background = [k for k in keys if k not in reserved]
    by_entity: dict[str, list] = {}
    for e, m, y in background:
        by_entity.setdefault(e, []).append((m, y))
    for d in docs:
        _fill(d, background, by_entity, rng, target_bytes)
    return Plan(n, seed, docs, truth)


def _fill(d: Doc, background: list, by_entity: dict, rng: random.Random, target_bytes: int) -> None:
    size = sum(len(str(b)) for b in d.blocks)
    while size < target_bytes * 0.93:
        e = rng.choice(COMPANIES)
        facts = [f for f in (rng.choice(background) for _ in range(8)) if f[0][0].isupper()][:6]
        shape = rng.randrange(3)
        if shape == 0:
            mine = rng.sample(by_entity[e], min(6, len(by_entity[e])))
            rows = [(ANNUAL_METRICS[m][0], money(canonical(e, m, str(y))), str(y)) for m, y in mine]
            block = [("h", f"Slide {len(d.blocks) + 1} — {e}: Financial Summary"),
                     ("kv", rows, ("Metric", "Value", "Source Period"))]
        elif shape == 1:
            sents = [f"{ee}’s {y} {ANNUAL_METRICS[m][1]} was {money(canonical(ee, m, str(y)), rng.randrange(3))}."
                     for ee, m, y in facts]
            block = [("p", " ".join(sents[:3]) + " " + rng.choice(FILLER)),
                     ("p", " ".join(sents[3:]) + " " + rng.choice(FILLER))]
        else:
            block = [("h", f"Slide {len(d.blocks) + 1} — {e}: Outlook"),
                     ("ul", [rng.choice(FILLER) for _ in range(3)]),
                     ("p", " ".join(rng.sample(FILLER, 3)))]
        d.blocks.extend(block)
        size += sum(len(str(b)) for b in block)


# --- rendering ---------------------------------------------------------------------------------

def render(d: Doc) -> str:
    title = f"Synthetic industry brief {d.index}"
    if d.fmt == "markdown":
        return _markdown(d, title)
    if d.fmt == "text":
        return _text(d, title)
    return _html(d, title)


def _markdown(d: Doc, title: str) -> str:
    out = [f"# {title}", "", f"{MONTHS[d.published.month - 1]} {d.published.year}", ""]
    for b in d.blocks:
        if b[0] == "h":
            out += ["---", "", f"# {b[1]}", ""]
        elif b[0] == "kv":
            header = b[2]
            out += ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
            out += ["| **" + r[0] + "** | " + " | ".join(r[1:]) + " |" for r in b[1]]
            out.append("")
        elif b[0] == "p":
            out += [b[1], ""]
        else:
            out += [f"- {x}" for x in b[1]] + [""]
    return "\n".join(out)


def _text(d: Doc, title: str) -> str:
    out = [title, "Synthetic Daily", ""]
    for b in d.blocks:
        if b[0] == "h":
            out += ["", b[1], "=" * len(b[1]), ""]
        elif b[0] == "kv":
            header = b[2]
            out += ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
            out += ["| " + " | ".join(r) + " |" for r in b[1]]
            out.append("")
        elif b[0] == "p":
            out += [b[1], ""]
        else:
            out += [f"- {x}" for x in b[1]] + [""]
    return "\n".join(out)


def _html(d: Doc, title: str) -> str:
    e = html.escape
    out = ["<!doctype html>", "<html><head><meta charset=\"utf-8\">", f"<title>{e(title)}</title></head><body>",
           f"<h1>{e(title)}</h1>"]
    for b in d.blocks:
        if b[0] == "h":
            out.append(f"<h2>{e(b[1])}</h2>")
        elif b[0] == "kv":
            out.append("<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in b[2]) + "</tr></thead><tbody>")
            out += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in b[1]]
            out.append("</tbody></table>")
        elif b[0] == "p":
            out.append(f"<p>{e(b[1])}</p>")
        else:
            out.append("<ul>" + "".join(f"<li>{e(x)}</li>" for x in b[1]) + "</ul>")
    out.append("</body></html>")
    return "\n".join(out)


def write(plan: Plan, out: Path) -> dict:
    """Write the documents, their sources.yaml and truth.json into `out` (emptied first)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.iterdir():
        if old.is_file():
            old.unlink()
    entries = ["sources:"]
    total = 0
    for d in plan.docs:
        name = d.source_id + SUFFIX[d.fmt]
        data = render(d).encode("utf-8")
        (out / name).write_bytes(data)
        total += len(data)
        entries.append(f"  - {{id: {d.source_id}, path: {name}, title: Synthetic brief {d.index}, "
                       f"publisher: Bench, published: {d.published.isoformat()}, format: {d.fmt}}}")
    (out / "sources.yaml").write_text("\n".join(entries) + "\n", encoding="utf-8")
    truth = dict(plan.truth, bytes=total, documents=len(plan.docs),
                 formats={f: sum(d.fmt == f for d in plan.docs) for f in FORMATS})
    # truth lives beside the corpus (not inside the sources folder, where it would be read as a document)
    (out.parent / f"{out.name}.truth.json").write_text(json.dumps(truth, indent=1), encoding="utf-8")
    return truth


def generate(n: int, out: Path, seed: int = 7, target_bytes: int = 25_000) -> dict:
    return write(build(n, seed, target_bytes), out)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--bytes", type=int, default=25_000, help="target size of each document")
    args = ap.parse_args(argv)
    out = args.out or Path(__file__).parent / "corpus" / f"n{args.n}"
    truth = generate(args.n, out, args.seed, args.bytes)
    print(f"{out}: {truth['documents']} documents, {truth['bytes'] / 1e6:.1f} MB, "
          f"{len(truth['conflicts'])} planted conflicts, {len(truth['lookalikes'])} look-alikes")


if __name__ == "__main__":
    main()
