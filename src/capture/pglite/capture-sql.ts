/**
 * The SQL objects of PGlite trigger capture. Everything is named `unbundled_*` and created
 * idempotently (IF NOT EXISTS / OR REPLACE), so installing twice is harmless.
 *
 * - `unbundled_changes`: one row per captured change. `seq` comes from a sequence at insert
 *   time; `txid` is the writing transaction. Row images are the row cast to text (`t::text`):
 *   the composite literal of every column's Postgres TEXT output, in attribute order — exactly
 *   what the Postgres CDC text path carries (int8 beyond 2^53, numeric NaN, timestamps, bytea…).
 *   The whole-row reference is the transition table's own name (`unbundled_new::text`), never a
 *   short alias: a column named like the alias would win over the row (found with a column `r`).
 * - `unbundled_capture_schemas`: one row per (table, shape) ever captured: column names, types,
 *   typmods and primary-key flags. A change row points at the shape its image follows, so a
 *   relay that runs behind an ALTER TABLE still decodes older rows with their own columns.
 * - Triggers: statement-level AFTER INSERT / DELETE with transition tables (one INSERT … SELECT
 *   per statement, fast for batches), row-level AFTER UPDATE (to pair before and after), and
 *   statement-level AFTER TRUNCATE. Each wakes the relay with `pg_notify`.
 */

/** Channel the capture triggers notify (payload empty) and the relay listens on. */
export const NOTIFY_CHANNEL = 'unbundled_changes';

/** Name of the change table. */
export const CHANGE_TABLE = 'unbundled_changes';

/** Change-table and schema-table DDL plus the trigger functions. */
export const INSTALL_SQL = `
CREATE TABLE IF NOT EXISTS unbundled_capture_schemas (
  id serial PRIMARY KEY,
  relid oid NOT NULL,
  signature jsonb NOT NULL,
  columns jsonb NOT NULL,
  UNIQUE (relid, signature)
);
CREATE TABLE IF NOT EXISTS unbundled_changes (
  seq bigserial PRIMARY KEY,
  txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  at timestamptz NOT NULL DEFAULT now(),
  op "char" NOT NULL,
  schema_id int NOT NULL,
  before text,
  after text
);

CREATE OR REPLACE FUNCTION unbundled_capture_signature(rel oid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_array(n.nspname, c.relname, (
    SELECT jsonb_agg(jsonb_build_array(a.attname, a.atttypid, a.atttypmod,
             coalesce(a.attnum = ANY (k.indkey::int2[]), false)) ORDER BY a.attnum)
    FROM pg_attribute a WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped))
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_index k ON k.indrelid = c.oid AND k.indisprimary
  WHERE c.oid = rel
$$;

CREATE OR REPLACE FUNCTION unbundled_capture_columns(rel oid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT coalesce(jsonb_agg(jsonb_build_object(
      'name', a.attname, 'typeOid', a.atttypid, 'typeName', t.typname, 'typmod', a.atttypmod,
      'isKey', coalesce(a.attnum = ANY (k.indkey::int2[]), false), 'typeKind', t.typtype,
      'baseTypeName', CASE WHEN t.typtype = 'd' THEN bt.typname
                           WHEN t.typcategory = 'A' THEN et.typname
                           WHEN t.typtype IN ('r', 'm') THEN rs.typname END)
    ORDER BY a.attnum), '[]'::jsonb)
  FROM pg_attribute a
  JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_type bt ON bt.oid = t.typbasetype
  LEFT JOIN pg_type et ON et.oid = t.typelem
  LEFT JOIN pg_range r ON r.rngtypid = t.oid OR r.rngmultitypid = t.oid
  LEFT JOIN pg_type rs ON rs.oid = r.rngsubtype
  LEFT JOIN pg_index k ON k.indrelid = a.attrelid AND k.indisprimary
  WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped
$$;

CREATE OR REPLACE FUNCTION unbundled_capture_schema_id(rel oid) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
  sig jsonb := unbundled_capture_signature(rel);
  sid int;
BEGIN
  SELECT id INTO sid FROM unbundled_capture_schemas WHERE relid = rel AND signature = sig;
  IF sid IS NULL THEN
    INSERT INTO unbundled_capture_schemas (relid, signature, columns)
    VALUES (rel, sig, unbundled_capture_columns(rel)) RETURNING id INTO sid;
  END IF;
  RETURN sid;
END $$;

CREATE OR REPLACE FUNCTION unbundled_capture_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  sid int := unbundled_capture_schema_id(TG_RELID);
BEGIN
  INSERT INTO unbundled_changes (op, schema_id, after) SELECT 'c', sid, unbundled_new::text FROM unbundled_new;
  IF FOUND THEN PERFORM pg_notify('${NOTIFY_CHANNEL}', ''); END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION unbundled_capture_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  sid int := unbundled_capture_schema_id(TG_RELID);
BEGIN
  INSERT INTO unbundled_changes (op, schema_id, before) SELECT 'd', sid, unbundled_old::text FROM unbundled_old;
  IF FOUND THEN PERFORM pg_notify('${NOTIFY_CHANNEL}', ''); END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION unbundled_capture_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO unbundled_changes (op, schema_id, before, after)
  VALUES ('u', unbundled_capture_schema_id(TG_RELID), OLD::text, NEW::text);
  PERFORM pg_notify('${NOTIFY_CHANNEL}', '');
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION unbundled_capture_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO unbundled_changes (op, schema_id) VALUES ('t', unbundled_capture_schema_id(TG_RELID));
  PERFORM pg_notify('${NOTIFY_CHANNEL}', '');
  RETURN NULL;
END $$;
`;

/** The capture triggers of one table (`qualified` is the quoted schema.table). */
export function triggerSql(qualified: string): string {
  return `
CREATE OR REPLACE TRIGGER unbundled_capture_insert AFTER INSERT ON ${qualified}
  REFERENCING NEW TABLE AS unbundled_new FOR EACH STATEMENT EXECUTE FUNCTION unbundled_capture_insert();
CREATE OR REPLACE TRIGGER unbundled_capture_delete AFTER DELETE ON ${qualified}
  REFERENCING OLD TABLE AS unbundled_old FOR EACH STATEMENT EXECUTE FUNCTION unbundled_capture_delete();
CREATE OR REPLACE TRIGGER unbundled_capture_update AFTER UPDATE ON ${qualified}
  FOR EACH ROW EXECUTE FUNCTION unbundled_capture_update();
CREATE OR REPLACE TRIGGER unbundled_capture_truncate AFTER TRUNCATE ON ${qualified}
  FOR EACH STATEMENT EXECUTE FUNCTION unbundled_capture_truncate();
`;
}

/** Snapshot rows ('r') of a table that was not captured before, in the installing transaction. */
export function snapshotSql(qualified: string, relid: number): string {
  return `WITH unbundled_shape AS MATERIALIZED (SELECT unbundled_capture_schema_id(${relid}) AS id)
INSERT INTO unbundled_changes (op, schema_id, after) SELECT 'r', unbundled_shape.id, unbundled_row::text FROM unbundled_shape, ${qualified} AS unbundled_row`;
}
