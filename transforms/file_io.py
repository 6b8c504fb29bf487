"""Reading article files into ``RawRecord``s and writing records as JSON Lines.

Formats by extension (after an optional ``.gz``): ``.txt`` one article per file,
``.html``/``.htm`` one page per file, ``.jsonl``/``.json`` one JSON object per
line. Files are streamed: a JSONL file is read line by line, and a file or line
larger than the size limit is never held in memory -- only its first bytes,
true size and SHA-256 travel on, and the parse stage dead-letters it.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from typing import IO, Iterable, Iterator

import apache_beam as beam
import orjson
from apache_beam import pvalue
from apache_beam.io import fileio
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from schemas.records import DeadLetter, Origin, RawRecord
from transforms.stage import DEAD_LETTER, MAIN

STAGE = "read"
FORMAT_BY_EXTENSION = {".txt": "text", ".html": "html", ".htm": "html", ".jsonl": "json", ".json": "json"}
_CHUNK = 1 << 16


def format_of(path: str) -> str | None:
    """The record format for a file name, or None when the extension is not supported."""
    name = path.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return FORMAT_BY_EXTENSION.get(os.path.splitext(name)[1])


def _drain(handle: IO[bytes], head: bytes, digest: "hashlib._Hash", stop_at_newline: bool) -> tuple[int, str]:
    """Read past an oversize head to the end of the line (or file): total size and hash."""
    size = len(head)
    digest.update(head)
    while True:
        chunk = handle.readline(_CHUNK) if stop_at_newline else handle.read(_CHUNK)
        if not chunk:
            break
        if stop_at_newline and chunk.endswith(b"\n"):
            chunk = chunk[:-1]
            size += len(chunk)
            digest.update(chunk)
            break
        size += len(chunk)
        digest.update(chunk)
    return size, digest.hexdigest()


def read_whole(handle: IO[bytes], origin: Origin, fmt: str, max_bytes: int) -> RawRecord:
    """One record from a whole file, cut at ``max_bytes`` (size and hash kept)."""
    head = handle.read(max_bytes + 1)
    if len(head) <= max_bytes:
        return RawRecord(origin=origin, fmt=fmt, data=head)
    size, sha = _drain(handle, head, hashlib.sha256(), stop_at_newline=False)
    return RawRecord(origin=origin, fmt=fmt, data=head[:max_bytes], size=size, sha256=sha)


def read_lines(handle: IO[bytes], path: str, max_bytes: int) -> Iterator[RawRecord]:
    """One record per non-blank line; a line over ``max_bytes`` is cut (size and hash kept)."""
    line_no = 0
    while True:
        line = handle.readline(max_bytes + 1)
        if not line:
            return
        line_no += 1
        origin = Origin(path=path, line=line_no)
        if len(line) > max_bytes and not line.endswith(b"\n"):
            size, sha = _drain(handle, line, hashlib.sha256(), stop_at_newline=True)
            yield RawRecord(origin=origin, fmt="json", data=line[:max_bytes], size=size, sha256=sha)
            continue
        line = line.rstrip(b"\r\n")
        if line.strip():
            yield RawRecord(origin=origin, fmt="json", data=line)


def read_file(path: str, max_bytes: int) -> Iterator[RawRecord]:
    """All records of one file (raises ValueError for an unsupported extension)."""
    fmt = format_of(path)
    if fmt is None:
        raise ValueError(f"unsupported file extension (expected {', '.join(sorted(FORMAT_BY_EXTENSION))}, optionally .gz)")
    with FileSystems.open(path, compression_type=CompressionTypes.AUTO) as handle:
        if fmt == "json":
            yield from read_lines(handle, path, max_bytes)
        else:
            yield read_whole(handle, Origin(path=path), fmt, max_bytes)


class ReadRecordsFn(beam.DoFn):
    """File path -> RawRecords; an unreadable file (or the unread rest of it) is a dead letter."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes

    def setup(self) -> None:
        self.files = Metrics.counter(STAGE, "files")
        self.records_out = Metrics.counter(STAGE, "records_out")
        self.dead_letters = Metrics.counter(STAGE, "dead_letters")

    def process(self, path: str) -> Iterable:
        self.files.inc()
        emitted = 0
        try:
            for record in read_file(path, self.max_bytes):
                emitted += 1
                self.records_out.inc()
                yield record
        except (OSError, ValueError, EOFError, zlib.error) as error:
            # a corrupt or truncated file: its unread rest becomes one dead letter
            self.dead_letters.inc()
            where = f" after {emitted} records" if emitted else ""
            yield pvalue.TaggedOutput(
                DEAD_LETTER,
                DeadLetter(stage=STAGE, reason="unreadable", error=f"cannot read file{where}: {type(error).__name__}: {error}",
                           origin=Origin(path=path)),
            )


class ReadArticleFiles(beam.PTransform):
    """Glob patterns -> RawRecords (``main``) and dead letters (``dead_letter``)."""

    def __init__(self, patterns: list[str], max_bytes: int):
        super().__init__()
        self.patterns = patterns
        self.max_bytes = max_bytes

    def expand(self, pbegin):
        return (
            pbegin
            | "Patterns" >> beam.Create(self.patterns)
            | "Match" >> fileio.MatchAll(empty_match_treatment=fileio.EmptyMatchTreatment.ALLOW)
            | "Paths" >> beam.Map(lambda metadata: metadata.path)
            | "Reshuffle" >> beam.Reshuffle()
            | "Read" >> beam.ParDo(ReadRecordsFn(self.max_bytes)).with_outputs(DEAD_LETTER, main=MAIN)
        )


def to_json_line(record) -> bytes:
    """A record (anything with ``to_dict``) as one orjson-encoded line."""
    return orjson.dumps(record.to_dict())


class WriteJsonLines(beam.PTransform):
    """Write records (with ``to_dict``) to ``prefix-SSSSS-of-NNNNN.jsonl`` files."""

    def __init__(self, prefix: str):
        super().__init__()
        self.prefix = prefix

    def expand(self, pcoll):
        return (
            pcoll
            | "Serialize" >> beam.Map(to_json_line)
            | "Write" >> beam.io.WriteToText(self.prefix, file_name_suffix=".jsonl")
        )
