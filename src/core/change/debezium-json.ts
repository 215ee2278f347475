import type { ColumnMeta, RowChange, TextRow, TextValue } from './change-event.ts';
import { UNCHANGED_TOAST } from './change-event.ts';
import { decodeBytea } from './value-decoders.ts';

/** Debezium's placeholder for a value that was not captured (unchanged TOAST). */
export const DEBEZIUM_UNAVAILABLE = '__debezium_unavailable_value';

/**
 * Render a row change as Debezium PostgreSQL connector JSON (the `payload` of the envelope):
 * `{ before, after, source: { version, connector, name, ts_ms, snapshot, db, schema, table,
 * txId, lsn }, op, ts_ms, transaction }`. With `columns`, values are typed as Debezium does:
 * booleans, integers (int8 exact, written as a JSON number literal, never via a JS number),
 * finite floats as numbers, json/jsonb embedded as JSON, bytea as base64; everything else
 * (numeric, timestamps, uuid …) as its exact Postgres text. Without `columns`, all as strings.
 *
 * @example toDebeziumJson(ev, schema.columns)
 */
export function toDebeziumJson(
  ev: RowChange,
  columns?: readonly ColumnMeta[],
  name = 'unbundled',
): string {
  const s = ev.source;
  const types = new Map((columns ?? []).map((c) => [c.name, c]));
  const lsn = s.lsn <= BigInt(Number.MAX_SAFE_INTEGER) ? s.lsn.toString() : `"${s.lsn}"`;
  const source =
    `{"version":"unbundled-1","connector":"postgresql","name":${JSON.stringify(name)},` +
    `"ts_ms":${s.ts_ms},"snapshot":${s.snapshot ? '"true"' : '"false"'},` +
    `"db":${JSON.stringify(s.db)},"schema":${JSON.stringify(s.schema)},` +
    `"table":${JSON.stringify(s.table)},"txId":${s.txId ?? 'null'},"lsn":${lsn}}`;
  const tx =
    s.txId === null
      ? 'null'
      : `{"id":"${s.txId}:${s.lsn}","total_order":${s.seq + 1},"data_collection_order":${s.seq + 1}}`;
  return (
    `{"before":${rowJson(ev.before, types)},"after":${rowJson(ev.after, types)},` +
    `"source":${source},"op":"${ev.op}","ts_ms":${ev.ts_ms},"transaction":${tx}}`
  );
}

function rowJson(row: TextRow | null, types: Map<string, ColumnMeta>): string {
  if (row === null) return 'null';
  const parts: string[] = [];
  for (const name of Object.keys(row)) {
    parts.push(`${JSON.stringify(name)}:${valueJson(row[name] ?? null, types.get(name))}`);
  }
  return `{${parts.join(',')}}`;
}

function valueJson(v: TextValue, col: ColumnMeta | undefined): string {
  if (v === null) return 'null';
  if (v === UNCHANGED_TOAST) return `"${DEBEZIUM_UNAVAILABLE}"`;
  const type = col?.typeKind === 'd' ? col.baseTypeName : col?.typeName;
  switch (type) {
    case 'bool':
      return v === 't' ? 'true' : 'false';
    case 'int2':
    case 'int4':
    case 'int8':
    case 'oid':
      return /^-?\d+$/.test(v) ? v : JSON.stringify(v);
    case 'float4':
    case 'float8':
      return Number.isFinite(Number(v)) ? String(Number(v)) : JSON.stringify(v);
    case 'json':
    case 'jsonb':
      return v;
    case 'bytea':
      return JSON.stringify(Buffer.from(decodeBytea(v)).toString('base64'));
    default:
      return JSON.stringify(v);
  }
}
