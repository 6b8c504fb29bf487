"""The span-replacing helpers stay linear-logarithmic on hostile bodies and keep their plain meaning."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from transforms import entities as ent
from transforms.entities.candidates import Span, SpanIndex
from transforms.entities.tagging import _replaced_by

_spans = st.lists(
    st.tuples(st.integers(0, 60), st.integers(1, 8), st.sampled_from(ent.LABELS)).map(lambda t: Span(t[0], t[0] + t[1], t[2])),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(_spans, _spans)
def test_replaced_by_equals_the_pairwise_definition(spans, found):
    spans = sorted(spans, key=lambda s: s.start)
    plain = [s for s in spans if not any(f.start < s.end and s.start < f.end for f in found)]
    expected = sorted(plain + found, key=lambda s: s.start) if found else spans
    assert _replaced_by(spans, found) == expected


def test_many_datelines_and_particles_are_all_found(resources):
    text = "PARIS, France — x\n" * 300 + "Kota Xa an der Yb, " * 300
    found = ent.find_entities(text, resources)
    assert sum(e.text == "PARIS" for e in found) == 300 and sum(e.text == "France" for e in found) == 300
    assert all(e.label == "LOC" for e in found if e.text in ("PARIS", "France"))


def test_a_span_inside_one_of_many_quoted_titles_is_dropped(resources):
    text = "Jo Ray sang “Walk On The Moon” and “Rain Of The Sky” again. " * 50 + "Then “Ode To Al Bo” played, said Al Bo."
    texts = [e.text for e in ent.find_entities(text, resources)]
    assert texts.count("Al Bo") == 1 and "Jo Ray" in texts  # the name outside the title stays


@settings(max_examples=300, deadline=None)
@given(_spans, st.integers(0, 70), st.integers(1, 10))
def test_first_overlap_equals_a_scan_in_text_order(spans, start, length):
    spans = sorted(spans, key=lambda s: s.start)
    end = start + length
    expected = next((s for s in spans if s.start < end and start < s.end), None)
    assert SpanIndex(spans).first_overlap(start, end) is expected


def test_many_team_headed_lines_keep_the_models_type_of_each_player(resources):
    lines = [f"Packers Al Zy{chr(97 + k % 26)}{chr(97 + k // 26)}x ran for a score.\n" for k in range(400)]
    text = "The Green Bay Packers beat the Bears.\n" + "".join(lines)
    found = ent.find_entities(text, resources)
    teams = [e for e in found if e.text == "Packers"]
    assert len(teams) == 400 and all(e.label == "ORG" for e in teams)
    players = [e for e in found if e.text.startswith("Al Zy")]
    assert len(players) == 400 and all(e.label == "PER" for e in players)  # as the model typed each, none lost
