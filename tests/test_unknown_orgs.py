"""Organisations the vocabulary does not know: the cases in fixtures/unknown_orgs.yaml, read with the bundled
vocabulary (the cues that say a capitalised run is a person, a place, a publication … are checked by the loader
against their own examples). How such a name owns a figure in a whole document is in fixtures/prose_entities.yaml."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from reconcile.extract.orgs import headline_organisation, organisation_names
from reconcile.vocab import load_vocabulary

ROOT = Path(__file__).resolve().parents[1]
CASES = yaml.safe_load((Path(__file__).parent / "fixtures" / "unknown_orgs.yaml").read_text())


@pytest.fixture(scope="module")
def vocab():
    return load_vocabulary(ROOT / "vocab")


@pytest.mark.parametrize("case", CASES["sentences"], ids=[c["text"][:50] for c in CASES["sentences"]])
def test_organisations_a_sentence_names(vocab, case):
    assert [m.name for m in organisation_names(vocab, case["text"])] == case["names"]


@pytest.mark.parametrize("case", CASES["headlines"], ids=[c["title"] for c in CASES["headlines"]])
def test_organisation_a_headline_opens_with(vocab, case):
    assert headline_organisation(vocab, case["title"]) == case["name"]


def test_the_names_found_are_spans_of_the_text(vocab):
    for case in CASES["sentences"]:
        for m in organisation_names(vocab, case["text"]):
            assert case["text"][m.start:m.end] == m.text and m.text.startswith(m.name.split()[0])
