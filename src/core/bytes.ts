const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** UTF-8 encode a string (keys and JSON values at the edges). */
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** UTF-8 decode bytes. */
export function fromUtf8(b: Uint8Array): string {
  return decoder.decode(b);
}
