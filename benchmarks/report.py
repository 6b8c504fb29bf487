"""Shared output of the benchmark scripts: one JSON document, printed and optionally saved."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional


def emit(results: dict[str, Any], path: Optional[Path] = None, echo: bool = True, indent: int = 2,
         ensure_ascii: bool = False) -> str:
    """Print ``results`` as indented JSON (when ``echo``) and write it to ``path`` (when given)."""
    text = json.dumps(results, indent=indent, ensure_ascii=ensure_ascii)
    if echo:
        print(text)
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
    return text
