import { encodeCanonical } from './canonical.ts';

/**
 * A 32-bit hash consistent with canonical equality: values with equal `encodeCanonical` text
 * hash equally (object key order ignored, -0 = 0). Cheaper than encoding: no strings built.
 * Used to bucket rows; buckets are then searched with `sameCanonical`.
 */
export function hashCanonical(v: unknown): number {
  switch (typeof v) {
    case 'string':
      return hashString(v, 0x811c9dc5);
    case 'number':
      return Number.isInteger(v) ? mixInt(v) : hashString(String(v), 0x2c1b3c6d);
    case 'bigint':
      return hashString(v.toString(), 0x297a2d39);
    case 'boolean':
      return v ? 0x5bd1e995 : 0x1b873593;
    case 'object':
      return v === null ? 0x68e31da4 : hashObject(v);
    default:
      return 0x7a646e4d;
  }
}

function mixInt(n: number): number {
  const lo = n | 0;
  const hi = (n / 4294967296) | 0;
  return Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) | 0;
}

function hashString(s: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}

function hashObject(v: object): number {
  if (Array.isArray(v)) {
    let h = 0x3c6ef372;
    for (let i = 0; i < v.length; i++) h = Math.imul(h ^ hashCanonical(v[i]), 0x01000193);
    return h | 0;
  }
  if (v instanceof Date || v instanceof Uint8Array)
    return hashString(encodeCanonical(v), 0x510e527f);
  // sum of per-field hashes: independent of key order
  let h = 0x6a09e667;
  const o = v as Record<string, unknown>;
  for (const k in o) {
    if (!Object.hasOwn(o, k)) continue;
    h = (h + Math.imul(hashString(k, 0x811c9dc5) ^ hashCanonical(o[k]), 0x27d4eb2d)) | 0;
  }
  return h;
}
