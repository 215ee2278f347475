import { UnbundledError } from '../errors.ts';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Reads what `ByteWriter` wrote; throws CHANGE_DECODE on truncated or malformed input. */
export class ByteReader {
  readonly #buf: Uint8Array;
  #pos = 0;

  constructor(buf: Uint8Array) {
    this.#buf = buf;
  }

  get done(): boolean {
    return this.#pos >= this.#buf.length;
  }

  byte(): number {
    const b = this.#buf[this.#pos++];
    if (b === undefined) throw truncated();
    return b;
  }

  uvarint(): number {
    let n = 0;
    let mul = 1;
    for (;;) {
      const b = this.byte();
      n += (b & 0x7f) * mul;
      if (b < 0x80) return n;
      mul *= 0x80;
      if (mul > 2 ** 56) throw malformed('varint too long');
    }
  }

  ubigvarint(): bigint {
    let n = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.byte();
      n |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return n;
      shift += 7n;
      if (shift > 70n) throw malformed('varint too long');
    }
  }

  svarint(): number {
    const z = this.uvarint();
    return z % 2 === 1 ? -(z + 1) / 2 : z / 2;
  }

  string(): string {
    const len = this.uvarint();
    const end = this.#pos + len;
    if (end > this.#buf.length) throw truncated();
    const s = decodeUtf8(this.#buf, this.#pos, end);
    this.#pos = end;
    return s;
  }

  bytes(): Uint8Array {
    const len = this.uvarint();
    const end = this.#pos + len;
    if (end > this.#buf.length) throw truncated();
    const out = this.#buf.slice(this.#pos, end);
    this.#pos = end;
    return out;
  }
}

/** Short ASCII strings (column names, most values) decode faster by hand than via TextDecoder. */
function decodeUtf8(buf: Uint8Array, start: number, end: number): string {
  if (end - start <= 24) {
    let s = '';
    for (let i = start; i < end; i++) {
      const c = buf[i]!;
      if (c >= 0x80) return decoder.decode(buf.subarray(start, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return decoder.decode(buf.subarray(start, end));
}

function truncated(): UnbundledError {
  return new UnbundledError('CHANGE_DECODE', 'change event is truncated (corrupt record value?)');
}

function malformed(what: string): UnbundledError {
  return new UnbundledError('CHANGE_DECODE', `change event is malformed: ${what}`);
}
