"""The words extraction reads by, other than the cue regexes (those are data: vocab/cues.yaml, read as
`vocab.cues.<name>`): header words that decide a table's shape, stop words of a qualifier phrase, and the
punctuation-shaped patterns that split sentences and clauses.
"""
from __future__ import annotations

import re

# Header words that say the first column holds entities even when the vocabulary does not know them.
ENTITY_HEADERS = {"company", "companies", "player", "players", "firm", "entity", "lab", "labs", "partner",
                  "cloud partner", "vendor", "provider", "organization", "organisation", "startup", "issuer",
                  "investor", "competitor", "hyperscaler"}
KEY_VALUE_HEADERS = {"metric", "metrics", "item", "detail", "details", "kpi", "measure", "term", "spec", "field",
                     "attribute", "indicator", "figure", "key figure", "parameter"}
PERIOD_HEADERS = {"date", "period", "source period", "as of", "year", "quarter", "timing", "when"}
# Words that end a metric's qualifier phrase when read backwards ("its ... revenue", "was ... revenue").
SCOPE_STOP = {"is", "was", "were", "are", "be", "been", "its", "his", "her", "their", "our", "record", "reported",
              "posted", "with", "said", "says", "while", "that", "which", "who", "has", "have", "had", "will", "would",
              "expects", "expected", "sees", "saw", "total", "quarterly", "annual", "monthly", "fiscal", "company",
              "firm", "group", "strong", "higher", "lower", "first", "second", "third", "fourth", "full", "net",
              "gross", "adjusted", "organic", "this", "these", "those", "about", "around",
              "annualized", "annualised", "running", "revenue", "revenues", "sales", "after", "before"}
# Label words that qualify a figure without changing what it measures.
NEUTRAL_WORDS = {"combined", "total", "estimated", "estimate", "projected", "guidance", "actual", "current",
                 "annual", "reported", "the", "of", "a", "an", "and", "in", "for", "on", "at", "to", "by", "from",
                 "&", "+", "-", "—", "–", "/", "vs", "new", "net", "overall", "expected", "planned", "approx",
                 "approximately", "official", "latest", "full", "year", "fy", "calendar", "metric", "value", "s",
                 "target", "growth", "yoy", "qoq", "rate", "all", "its", "their", "detail", "key", "ai"}
# The entity kinds a noun such as "the campus" may refer back to (the noun itself is a kind too).
ANAPHORA_KINDS = {"supercomputer": "cluster", "campus": "project|cluster", "facility": "project|cluster",
                  "site": "project|cluster", "chip": "product", "model": "product", "platform": "product",
                  "service": "product", "app": "product", "unit": "division", "segment": "division",
                  "subsidiary": "division|company"}
WEAK_METRIC_WORDS = {"invest", "invests", "invested", "investing", "spend", "spends", "spent", "raise", "raises",
                     "raised", "backed", "backing", "round", "deal", "deals", "equity", "share", "stake"}
WORD_MULTIPLE_VALUES = {"doubl": 2.0, "tripl": 3.0, "quadrupl": 4.0, "halv": 0.5}
SCALE_FACTORS = {"thousands": 1e3, "millions": 1e6, "billions": 1e9, "trillions": 1e12}
# Events that run for a while: "a contract through 2029" says how long, not when it was signed.
DURATION_EVENTS = {"deal_signed", "investment", "acquisition", "funding_closed"}

# Shapes of text rather than words.
# Opens with a look-ahead of the characters a match can start with, so most positions fail at once.
CLAUSE_SPLIT = re.compile(r"(?=[\s;,:])\s*(?:;|,\s+(?:and|while|but|with|which|after|before|despite)\s+"
                          r"|\s+(?:while|whereas|but|and(?!\s+[A-Z]))\s+(?=[^,;]*?[$\d])|"
                          r"\s+[—–]\s+|:\s+)\s*")
# A sentence ends at . ! ? before a capital, a quote, or a lower-case brand such as xAI or eBay.
SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“‘(\[]|[a-z]{1,3}[A-Z])")
LEAD_DATE = re.compile(r"^\s*([A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:,\s*\d{4})?|\d{4}-\d{2}-\d{2})\s*[:–—-]\s+")
ENUM_SEP = re.compile(r"^\s*(?:,\s*(?:and\s+|&\s+)?|\s+and\s+|\s*&\s*|\s*/\s*)$")
UNKNOWN_NAME = re.compile(r"\b[A-Z][a-zA-Z0-9]{2,}\b")
RANGE_JOIN = re.compile(r"\s*(?:-|–|—|to|through)\s*")
POSSESSIVE = re.compile(r"['’]s\b")
# A parenthesised aside ('(IaaS)', '(in millions)'), dropped from labels and qualifier phrases.
PARENTHESES = re.compile(r"\([^)]*\)")
