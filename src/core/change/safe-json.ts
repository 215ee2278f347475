/** A JSON value whose objects have a null prototype. */
export type SafeJson = null | boolean | number | string | SafeJson[] | { [k: string]: SafeJson };

/**
 * JSON.parse where every object has a null prototype, so keys like `__proto__` or `constructor`
 * are plain data: copying the result with Object.assign or `for…in` can never reach
 * Object.prototype. Numbers beyond 2^53 lose precision (as JSON.parse); read the raw text
 * (`decodeValue(..., { json: 'text' })`) when that matters.
 */
export function parseJsonSafe(text: string): SafeJson {
  return JSON.parse(text, nullProtoReviver) as SafeJson;
}

function nullProtoReviver(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out = Object.create(null) as Record<string, unknown>;
  for (const k of Object.keys(value)) {
    // Own-property definition: never invokes the __proto__ setter.
    Object.defineProperty(out, k, {
      value: (value as Record<string, unknown>)[k],
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
