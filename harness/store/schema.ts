// SQLite schema for runs, samples and the completion cache. Bump SCHEMA_VERSION on any change.
export const SCHEMA_VERSION = 1;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  spec TEXT NOT NULL,
  suite_name TEXT NOT NULL,
  suite_version TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  policy_id TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  finished_at INTEGER,
  aggregates TEXT,
  error TEXT
);
-- A rowid table with a UNIQUE index: measured faster than WITHOUT ROWID for rows of this size
-- (completion and verdict JSON make rows too wide for a clustered key, per SQLite's withoutrowid.html).
CREATE TABLE IF NOT EXISTS samples (
  run INTEGER NOT NULL REFERENCES runs(seq),
  task TEXT NOT NULL,
  item_id TEXT NOT NULL,
  sample_index INTEGER NOT NULL,
  completion TEXT NOT NULL,
  verdict TEXT NOT NULL,
  reward REAL NOT NULL,
  pass INTEGER,
  error_kind TEXT,
  UNIQUE (run, task, item_id, sample_index)
);
CREATE TABLE IF NOT EXISTS completion_cache (
  key TEXT PRIMARY KEY,
  completion TEXT NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
`;
