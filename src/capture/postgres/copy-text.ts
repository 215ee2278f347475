import type { TextValue } from '../../core/index.ts';

/**
 * Parse one line of COPY TO text format into column texts: fields separated by tabs, `\N` is
 * NULL, backslash escapes (\\ \t \n \r \b \f \v, octal \ooo, hex \xhh) decoded.
 */
export function parseCopyLine(line: string): TextValue[] {
  const out: TextValue[] = [];
  let start = 0;
  for (;;) {
    const tab = line.indexOf('\t', start);
    const field = tab < 0 ? line.slice(start) : line.slice(start, tab);
    out.push(field === '\\N' ? null : field.includes('\\') ? unescapeCopy(field) : field);
    if (tab < 0) return out;
    start = tab + 1;
  }
}

const SIMPLE: Readonly<Record<string, string>> = {
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

function unescapeCopy(field: string): string {
  let s = '';
  const bytes: number[] = [];
  const flushBytes = () => {
    if (bytes.length > 0) s += Buffer.from(bytes).toString('utf8');
    bytes.length = 0;
  };
  for (let i = 0; i < field.length; i++) {
    const c = field[i]!;
    if (c !== '\\') {
      flushBytes();
      s += c;
      continue;
    }
    const n = field[++i] ?? '';
    if (n >= '0' && n <= '7') {
      const m = /^[0-7]{1,3}/.exec(field.slice(i))![0];
      bytes.push(Number.parseInt(m, 8));
      i += m.length - 1;
    } else if (n === 'x' && /^[0-9a-fA-F]/.test(field[i + 1] ?? '')) {
      const m = /^[0-9a-fA-F]{1,2}/.exec(field.slice(i + 1))![0];
      bytes.push(Number.parseInt(m, 16));
      i += m.length;
    } else {
      flushBytes();
      s += SIMPLE[n] ?? n;
    }
  }
  flushBytes();
  return s;
}
