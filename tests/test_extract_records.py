"""The records extraction makes for every figure and cell keep a dataclass's contract with their faster __init__
(model.filled_at_once): the same parameters and defaults, equality, hash, frozenness and replace()."""
import dataclasses
import inspect

import pytest

from reconcile.extract.model import FigureSite, filled_at_once
from reconcile.extract.tables import TableCell


@pytest.mark.parametrize("cls", [FigureSite, TableCell])
def test_parameters_are_the_fields_with_their_defaults(cls):
    params = list(inspect.signature(cls).parameters.values())
    fields = dataclasses.fields(cls)
    assert [p.name for p in params] == [f.name for f in fields]
    assert [p.default for p in params] == [inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default
                                           for f in fields]


def test_a_site_is_a_frozen_record():
    site = FigureSite("Revenue › paragraph 1", "Revenue was $5B.", "prose", metric="revenue", imposed=True)
    assert site.metric == "revenue" and site.imposed and site.entity is None and site.members == ()
    same = FigureSite(location="Revenue › paragraph 1", quote="Revenue was $5B.", context="prose",
                      metric="revenue", imposed=True)
    assert site == same and hash(site) == hash(same)
    assert site != dataclasses.replace(site, metric="capex")
    assert dataclasses.replace(site, metric="capex") == site.but(metric="capex")
    with pytest.raises(dataclasses.FrozenInstanceError):
        site.metric = "capex"  # type: ignore[misc]
    with pytest.raises(TypeError):
        FigureSite("only a location")  # type: ignore[call-arg]


def test_a_record_with_a_default_factory_is_refused():
    @dataclasses.dataclass(frozen=True)
    class Listed:
        items: list[str] = dataclasses.field(default_factory=list)

    with pytest.raises(AssertionError):
        filled_at_once(Listed)
