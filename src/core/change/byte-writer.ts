const encoder = new TextEncoder();

/** A growable byte buffer with LEB128 varints and length-prefixed UTF-8 strings. */
export class ByteWriter {
  #buf: Uint8Array;
  #pos = 0;

  constructor(initialSize = 256) {
    this.#buf = new Uint8Array(initialSize);
  }

  #ensure(extra: number): void {
    if (this.#pos + extra <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#pos + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#pos));
    this.#buf = next;
  }

  byte(b: number): void {
    this.#ensure(1);
    this.#buf[this.#pos++] = b;
  }

  /** Unsigned varint for 0 <= n <= 2^53 - 1. */
  uvarint(n: number): void {
    this.#ensure(8);
    while (n >= 0x80) {
      this.#buf[this.#pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.#buf[this.#pos++] = n;
  }

  /** Unsigned varint for a non-negative bigint (LSNs). */
  ubigvarint(n: bigint): void {
    this.#ensure(10);
    while (n >= 0x80n) {
      this.#buf[this.#pos++] = Number(n & 0x7fn) | 0x80;
      n >>= 7n;
    }
    this.#buf[this.#pos++] = Number(n);
  }

  /** Zig-zag signed varint for safe integers (typmod -1, timestamps). */
  svarint(n: number): void {
    this.uvarint(n < 0 ? -n * 2 - 1 : n * 2);
  }

  /** Start over, keeping the buffer (one writer can encode many events). */
  reset(): void {
    this.#pos = 0;
  }

  string(s: string): void {
    this.#ensure(s.length * 3 + 8);
    const start = this.#pos;
    if (s.length < 0x80 && this.#ascii(s, start + 1)) {
      this.#buf[start] = s.length;
      this.#pos = start + 1 + s.length;
      return;
    }
    // Reserve one length byte for the common short case; move the bytes if the varint is longer.
    const { written } = encoder.encodeInto(s, this.#buf.subarray(start + 1));
    if (written < 0x80) {
      this.#buf[start] = written;
      this.#pos = start + 1 + written;
      return;
    }
    const bytes = this.#buf.slice(start + 1, start + 1 + written);
    this.uvarint(written);
    this.#ensure(written);
    this.#buf.set(bytes, this.#pos);
    this.#pos += written;
  }

  /** Copy an ASCII string byte by byte (faster than TextEncoder for short strings). */
  #ascii(s: string, at: number): boolean {
    const buf = this.#buf;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) return false;
      buf[at + i] = c;
    }
    return true;
  }

  bytes(b: Uint8Array): void {
    this.uvarint(b.length);
    this.#ensure(b.length);
    this.#buf.set(b, this.#pos);
    this.#pos += b.length;
  }

  /** A copy of the written bytes. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#pos);
  }
}
