-- 0001: enriched articles and their entity mentions.
-- Applied once by `python -m pipelines.migrate` (recorded in schema_migrations). Never edit an
-- applied file: add a new numbered file instead (the migrator refuses a changed checksum).

CREATE TABLE articles (
    id             text PRIMARY KEY,
    url            text,
    title          text,
    body           text NOT NULL DEFAULT '',
    language       text NOT NULL DEFAULT 'und',
    publisher      text,
    agency         text,
    published_at   timestamptz,
    processed_at   timestamptz NOT NULL,
    record         jsonb NOT NULL,
    schema_version text NOT NULL
);

COMMENT ON TABLE articles IS 'One row per enriched article; record holds the full article record (schemas/json).';
COMMENT ON COLUMN articles.processed_at IS 'When the current content was first written; a replay of unchanged content keeps it.';

-- Full-text search over the body. The 'simple' configuration (no stemming) suits Indonesian and
-- mixed-language text; queries must use the same expression: to_tsvector('simple', body).
CREATE INDEX articles_body_fts ON articles USING gin (to_tsvector('simple', body));
CREATE INDEX articles_publisher_language ON articles (publisher, language);
CREATE INDEX articles_published_at ON articles (published_at);

CREATE TABLE article_entities (
    article_id text    NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    position   integer NOT NULL,
    canonical  text    NOT NULL,
    label      text    NOT NULL,
    text       text    NOT NULL,
    "start"    integer NOT NULL,
    "end"      integer NOT NULL,
    wikidata   text,
    PRIMARY KEY (article_id, position),
    CHECK ("start" >= 0 AND "end" >= "start")
);

COMMENT ON TABLE article_entities IS 'Entity mentions: articles.body[start:end] = text (Python offsets).';

CREATE INDEX article_entities_canonical ON article_entities (canonical);
CREATE INDEX article_entities_label_canonical ON article_entities (label, canonical);
