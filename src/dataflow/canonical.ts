import { UnbundledError } from '../core/errors.ts';

/**
 * Canonical text encoding of plain data: JSON with object keys sorted, bigints written `12n`,
 * `undefined` written `u`, non-finite numbers written `NaN`/`Infinity`/`-Infinity`, and -0 as 0.
 * Injective on plain data (strings stay quoted), so it is safe as a Map key; deterministic, so
 * equal values give byte-identical text regardless of property insertion order.
 *
 * @example encodeCanonical({ b: 1n, a: 'x' }) === '{"a":"x","b":1n}'
 */
export function encodeCanonical(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return encodeNumber(value);
    case 'bigint':
      return `${value}n`;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      return 'u';
    case 'object':
      return value === null ? 'null' : encodeObject(value);
    default:
      throw new UnbundledError(
        'DATAFLOW_UNENCODABLE',
        `cannot encode a ${typeof value} as a key or state value; rows and keys must be plain data ` +
          `(string, number, bigint, boolean, null, arrays, plain objects)`,
      );
  }
}

/**
 * Stable string for a key value (string | number | bigint, or a tuple/object of them), used for
 * Map keys and state keys. Same as {@link encodeCanonical}.
 *
 * @example keyOf('a') === '"a"'; keyOf(1) === '1'; keyOf(1n) === '1n'; keyOf(['a', 1]) === '["a",1]'
 */
export const keyOf: (key: unknown) => string = encodeCanonical;

function encodeNumber(n: number): string {
  if (Number.isFinite(n)) return n === 0 ? '0' : String(n);
  return Number.isNaN(n) ? 'NaN' : n > 0 ? 'Infinity' : '-Infinity';
}

function encodeObject(value: object): string {
  if (Array.isArray(value)) {
    let s = '[';
    for (let i = 0; i < value.length; i++) s += (i === 0 ? '' : ',') + encodeCanonical(value[i]);
    return s + ']';
  }
  if (value instanceof Date) return encodeCanonical({ $date: value.toISOString() });
  if (value instanceof Uint8Array)
    return encodeCanonical({ $bytes: Buffer.from(value).toString('base64') });
  const keys = Object.keys(value).sort();
  let s = '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    s +=
      (i === 0 ? '' : ',') +
      JSON.stringify(k) +
      ':' +
      encodeCanonical((value as Record<string, unknown>)[k]);
  }
  return s + '}';
}

/**
 * Parse text written by {@link encodeCanonical} back into plain data. (Dates and byte arrays come
 * back as their `{ $date }` / `{ $bytes }` wrappers.)
 */
export function decodeCanonical(text: string): unknown {
  const parser = new Parser(text);
  const value = parser.value();
  parser.end();
  return value;
}

class Parser {
  readonly #s: string;
  #i = 0;

  constructor(s: string) {
    this.#s = s;
  }

  value(): unknown {
    const c = this.#s[this.#i];
    if (c === '"') return this.#string();
    if (c === '[') return this.#array();
    if (c === '{') return this.#object();
    return this.#atom();
  }

  end(): void {
    if (this.#i !== this.#s.length) this.#fail('trailing characters');
  }

  #string(): string {
    let j = this.#i + 1;
    while (j < this.#s.length && this.#s[j] !== '"') j += this.#s[j] === '\\' ? 2 : 1;
    if (j >= this.#s.length) this.#fail('unterminated string');
    const out = JSON.parse(this.#s.slice(this.#i, j + 1)) as string;
    this.#i = j + 1;
    return out;
  }

  #array(): unknown[] {
    const out: unknown[] = [];
    this.#i++;
    if (this.#s[this.#i] === ']') {
      this.#i++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      const c = this.#s[this.#i++];
      if (c === ']') return out;
      if (c !== ',') this.#fail('expected , or ]');
    }
  }

  #object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.#i++;
    if (this.#s[this.#i] === '}') {
      this.#i++;
      return out;
    }
    for (;;) {
      if (this.#s[this.#i] !== '"') this.#fail('expected a key');
      const k = this.#string();
      if (this.#s[this.#i++] !== ':') this.#fail('expected :');
      Object.defineProperty(out, k, {
        value: this.value(),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      const c = this.#s[this.#i++];
      if (c === '}') return out;
      if (c !== ',') this.#fail('expected , or }');
    }
  }

  #atom(): unknown {
    const m = /^(?:-?Infinity|NaN|null|true|false|u|-?\d+n|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(
      this.#s.slice(this.#i, this.#i + 400),
    );
    if (!m) this.#fail('unexpected token');
    const t = m[0];
    this.#i += t.length;
    return atomValue(t);
  }

  #fail(what: string): never {
    throw new UnbundledError(
      'DATAFLOW_BAD_ENCODING',
      `canonical text is malformed at ${this.#i} (${what}); it was not written by encodeCanonical ` +
        `or was truncated`,
    );
  }
}

function atomValue(t: string): unknown {
  if (t === 'null') return null;
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (t === 'u') return undefined;
  if (t.endsWith('n')) return BigInt(t.slice(0, -1));
  return Number(t);
}

/**
 * `encodeCanonical(a) === encodeCanonical(b)`, computed without building strings: object key
 * order does not matter, -0 equals 0, NaN equals NaN.
 */
export function sameCanonical(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const t = typeof a;
  if (t !== typeof b) return false;
  if (t === 'number') return Number.isNaN(a) && Number.isNaN(b);
  if (t !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) return Array.isArray(b) && sameArray(a, b);
  if (Array.isArray(b)) return false;
  if (
    a instanceof Date ||
    a instanceof Uint8Array ||
    b instanceof Date ||
    b instanceof Uint8Array
  ) {
    return encodeCanonical(a) === encodeCanonical(b);
  }
  return sameObject(a as Record<string, unknown>, b as Record<string, unknown>);
}

function sameArray(a: unknown[], b: unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameCanonical(a[i], b[i])) return false;
  return true;
}

function sameObject(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  // for-in over same-shaped objects uses V8's enum cache (no key array); unequal rows usually
  // differ in their first field, so this returns before counting b's keys
  let n = 0;
  for (const k in a) {
    if (!Object.hasOwn(a, k)) continue;
    n++;
    if (!Object.hasOwn(b, k) || !sameCanonical(a[k], b[k])) return false;
  }
  for (const k in b) if (Object.hasOwn(b, k)) n--;
  return n === 0;
}
