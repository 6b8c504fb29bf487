"""English Brown clusters and capitalisation odds (ner/build_brown.py -> brown_clusters.tsv) as CRF features."""

from __future__ import annotations

import re

import pytest

from ner.build_brown import capitalisation_odds, cluster_path
from transforms import entities as ent
from transforms.entities.features import _brown_features


def _packed(path: str) -> int:
    """spaCy's storage of a Brown path: the bit string reversed, read as an integer."""
    return int(path[::-1], 2)


@pytest.mark.parametrize("path", ["1", "0111", "0110010101", "1011000011101"])
def test_cluster_path_undoes_spacys_packing(path: str) -> None:
    assert cluster_path(_packed(path)) == path


def test_cluster_path_loses_only_trailing_zeros() -> None:
    assert cluster_path(_packed("0110100")) == "01101"


def test_capitalisation_odds_compare_title_and_lower_case_forms() -> None:
    probs = {"harbour": -14.0, "Harbour": -12.5, "kettle": -11.0, "Kettle": -15.25}
    assert capitalisation_odds("Harbour", probs) == "1.5"
    assert capitalisation_odds("harbour", probs) == "1.5"  # a property of the casefolded word
    assert capitalisation_odds("kettle", probs) == "-4.2"
    assert capitalisation_odds("Wobbleton", probs) == "-"  # one form missing
    assert capitalisation_odds("42", {"42": -9.0}) == "-"  # no case


def test_committed_table_is_well_formed() -> None:
    path = ent.DATA_DIR / "brown_clusters.tsv"
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    assert len(rows) > 50_000
    assert all(len(row) == 3 for row in rows)
    assert len({row[0] for row in rows}) == len(rows)
    assert all(re.fullmatch(r"[01]{1,20}", row[1]) for row in rows)
    assert all(row[2] == "-" or re.fullmatch(r"-?\d+\.\d", row[2]) for row in rows)


def test_unseen_city_names_share_a_cluster_with_known_ones(tables: ent.Tables) -> None:
    london = dict(f.split("=", 1) for f in _brown_features("London", tables))
    for city in ("Toronto", "Vancouver", "Amsterdam"):
        other = dict(f.split("=", 1) for f in _brown_features(city, tables))
        assert other["b"] == london["b"], city


def test_brown_features_of_headline_capitals_unknown_words_and_odds_buckets(tables: ent.Tables) -> None:
    assert "ROTTERDAM" not in tables.brown and "TORONTO" in tables.brown
    assert _brown_features("ROTTERDAM", tables) == _brown_features("Rotterdam", tables)  # not in the table as such
    assert _brown_features("TORONTO", tables) != _brown_features("Toronto", tables)  # its own entry wins
    assert _brown_features("Xqzzvorp", tables) == ()  # no feature: most Indonesian words are not in the table
    toronto = dict(f.split("=", 1) for f in _brown_features("Toronto", tables))
    assert toronto["odds"] == "3"  # a place name: almost always capitalised, bucket capped at 3
    said = dict(f.split("=", 1) for f in _brown_features("Said", tables))
    assert int(said["odds"]) < 0  # a common verb: lower case far more often
    assert [k for k in toronto] == ["b4", "b6", "b10", "b", "odds"]
