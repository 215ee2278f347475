/**
 * JSON with bigint support, for stores that keep rows as JSON text (Redis, search snapshots,
 * Postgres/DuckDB jsonb fallback). A bigint is written as `{"$bigint":"123"}` and read back as a
 * bigint. Dates become ISO strings (as with JSON.stringify).
 */
export function encodeJson(value: unknown): string {
  return JSON.stringify(value, replacer);
}

/** Inverse of `encodeJson`. */
export function decodeJson<T = unknown>(text: string): T {
  return JSON.parse(text, reviver) as T;
}

function replacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? { $bigint: value.toString() } : value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const big = (value as { $bigint?: unknown }).$bigint;
    if (typeof big === 'string' && Object.keys(value).length === 1) return BigInt(big);
  }
  return value;
}
