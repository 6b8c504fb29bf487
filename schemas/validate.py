"""Validate records against the versioned JSON Schema files in ``schemas/json``."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

SCHEMA_DIR = Path(__file__).with_name("json")
SCHEMAS = {"article": "article.v1.schema.json", "dead_letter": "dead_letter.v1.schema.json",
           "raw_article": "raw_article.v1.schema.json"}


@lru_cache(maxsize=None)
def validator(kind: str) -> Draft202012Validator:
    """A validator for ``article``, ``dead_letter`` or ``raw_article`` records."""
    resources = {}
    for name in SCHEMAS.values():
        schema = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
        resources[schema["$id"]] = Resource.from_contents(schema)
    registry = Registry().with_resources(resources.items())
    schema = json.loads((SCHEMA_DIR / SCHEMAS[kind]).read_text(encoding="utf-8"))
    return Draft202012Validator(schema, registry=registry, format_checker=FormatChecker())


def errors(kind: str, record: dict[str, Any]) -> list[str]:
    """Readable validation errors (empty when the record is valid)."""
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
            for e in validator(kind).iter_errors(record)]
