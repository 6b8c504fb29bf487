"""Property-based: any bytes or JSON thrown at the parser give an Article or a StageError."""

import json
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.records import Article
from schemas.validate import errors
from tests.conftest import raw_record
from transforms.parse import parse_record
from transforms.stage import StageError, dead_letter_for

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
field_names = st.sampled_from(["id", "url", "title", "text", "html", "fetched_at", "published_at", "source", "other"])
records = st.dictionaries(field_names, json_values | st.text(max_size=300), max_size=6)


def _outcome(record):
    try:
        return parse_record(record, max_bytes=4096)
    except StageError as error:
        letter = dead_letter_for("parse", record, error)
        assert errors("dead_letter", letter.to_dict()) == []
        return error


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600), st.sampled_from(["text", "html", "json"]))
def test_random_bytes_never_crash_the_parser(data, fmt):
    result = _outcome(raw_record(data, fmt))
    assert isinstance(result, (Article, StageError))
    if isinstance(result, Article):
        assert result.body.strip() and result.id


@settings(max_examples=300, deadline=None)
@given(records)
def test_random_json_records_never_crash_the_parser(obj):
    result = _outcome(raw_record(json.dumps(obj), "json"))
    assert isinstance(result, (Article, StageError))
    if isinstance(result, Article):
        assert isinstance(obj.get("text") or obj.get("html"), str)
        if obj.get("id") is not None:
            assert result.id == obj["id"]
