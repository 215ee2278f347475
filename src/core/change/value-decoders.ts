import { UnbundledError } from '../errors.ts';
import type { ColumnMeta, TextRow, TextValue } from './change-event.ts';
import { UNCHANGED_TOAST } from './change-event.ts';
import { parseArrayLiteral, parseCompositeLiteral, type TextArray } from './pg-literals.ts';
import { type PgRange, parseMultirangeLiteral, parseRangeLiteral } from './pg-range.ts';
import { BUILTIN_TYPE_NAMES, RANGE_SUBTYPES, type TypeRef } from './pg-types.ts';
import { parseJsonSafe } from './safe-json.ts';

/** Options of `decodeValue`. */
export interface DecodeOptions {
  /** json/jsonb: 'parse' (default, null-prototype objects) or 'text' (exact source text). */
  readonly json?: 'parse' | 'text';
}

/**
 * Decode one Postgres TEXT-format value to JS. Representations (exact, never lossy except as noted):
 * - bool → boolean; int2/int4/oid/xid → number; int8 → bigint (never through a JS number);
 *   float4/float8 → number (NaN, ±Infinity included);
 * - numeric, money → string (exact, incl. 'NaN', 'Infinity'); date, time, timetz, timestamp,
 *   timestamptz, interval → the exact Postgres text (ISO DateStyle, incl. 'infinity');
 *   uuid, inet, text types, enums, xml, bit strings, tsvector … → string;
 * - json/jsonb → parsed with null-prototype objects (`__proto__` is plain data; big numbers
 *   lose precision — use `{ json: 'text' }` for the exact text);
 * - bytea → Uint8Array; arrays → nested JS arrays (NULL elements → null, lower bounds dropped);
 * - domains → their base type; composites → array of field texts (string | null);
 * - ranges → `PgRange` of decoded bounds; multiranges → array of `PgRange`.
 * SQL NULL → null; an unchanged TOASTed value → `UNCHANGED_TOAST`.
 *
 * @example decodeValue('int8', '9007199254740993') // 9007199254740993n
 */
export function decodeValue(
  type: string | number | TypeRef,
  text: TextValue,
  options: DecodeOptions = {},
): unknown {
  if (text === null || text === UNCHANGED_TOAST) return text;
  const ref = typeRef(type);
  const kind = ref.typeKind;
  if (kind === 'd') return decodeValue(ref.baseTypeName ?? 'text', text, options);
  if (kind === 'e') return text;
  if (kind === 'c') return parseCompositeLiteral(text);
  if (ref.typeName.startsWith('_')) {
    const element = ref.baseTypeName ?? ref.typeName.slice(1);
    const arr = parseArrayLiteral(text, element === 'box' ? ';' : ',');
    return mapArray(arr, (el) => decodeValue(element, el, options));
  }
  const subtype =
    RANGE_SUBTYPES[ref.typeName] ??
    (kind === 'r' || kind === 'm' ? (ref.baseTypeName ?? 'text') : undefined);
  if (subtype !== undefined) {
    if (kind === 'm' || ref.typeName.endsWith('multirange')) {
      return parseMultirangeLiteral(text).map((r) => mapRange(r, subtype, options));
    }
    return mapRange(parseRangeLiteral(text), subtype, options);
  }
  return decodeScalar(ref.typeName, text, options);
}

/** Decode every column of a text row with its relation's column metadata (null-prototype object). */
export function decodeRow(
  columns: readonly ColumnMeta[],
  row: TextRow,
  options: DecodeOptions = {},
): Record<string, unknown> {
  const out = Object.create(null) as Record<string, unknown>;
  for (const c of columns) {
    const v = row[c.name];
    if (v !== undefined) out[c.name] = decodeValue(c, v, options);
  }
  return out;
}

function typeRef(type: string | number | TypeRef): TypeRef {
  if (typeof type === 'string') return { typeName: type };
  if (typeof type === 'number') return { typeName: BUILTIN_TYPE_NAMES[type] ?? 'text' };
  return type;
}

function mapArray(arr: TextArray, f: (el: string | null) => unknown): unknown[] {
  return arr.map((el) => (Array.isArray(el) ? mapArray(el, f) : f(el)));
}

function mapRange(r: PgRange<string>, subtype: string, options: DecodeOptions): PgRange<unknown> {
  if (r.empty) return r;
  return {
    ...r,
    lower: r.lower === null ? null : decodeValue(subtype, r.lower, options),
    upper: r.upper === null ? null : decodeValue(subtype, r.upper, options),
  };
}

function decodeScalar(name: string, text: string, options: DecodeOptions): unknown {
  switch (name) {
    case 'bool':
      return text === 't' || text === 'true';
    case 'int2':
    case 'int4':
    case 'oid':
    case 'xid':
    case 'cid':
    case 'regclass':
    case 'regtype':
      return /^-?\d+$/.test(text) ? Number(text) : text;
    case 'int8':
      return BigInt(text);
    case 'float4':
    case 'float8':
      return Number(text);
    case 'json':
    case 'jsonb':
      return options.json === 'text' ? text : parseJsonSafe(text);
    case 'bytea':
      return decodeBytea(text);
    default:
      return text;
  }
}

/** Decode bytea text output: hex (`\x0aff`, the default) or the legacy escape format. */
export function decodeBytea(text: string): Uint8Array {
  if (text.startsWith('\\x')) {
    const hex = text.slice(2);
    if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw badBytea(text);
    return new Uint8Array(Buffer.from(hex, 'hex'));
  }
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x5c) out.push(c);
    else if (text[i + 1] === '\\') {
      out.push(0x5c);
      i++;
    } else {
      out.push(Number.parseInt(text.slice(i + 1, i + 4), 8));
      i += 3;
    }
  }
  return new Uint8Array(out);
}

function badBytea(text: string): UnbundledError {
  return new UnbundledError('CHANGE_VALUE_INVALID', `malformed bytea: ${text.slice(0, 40)}`);
}
