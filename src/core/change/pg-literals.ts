import { UnbundledError } from '../errors.ts';

/** A parsed Postgres array: nested JS arrays, elements as text or null. */
export type TextArray = (string | null | TextArray)[];

/**
 * Parse a Postgres array literal (`{1,2}`, `{{a,"b c"},{NULL,"\"q\""}}`, `[0:1]={1,2}`) into nested
 * arrays of element text (null for NULL). Explicit lower bounds are dropped (documented).
 * `delimiter` is ';' for box, ',' otherwise.
 */
export function parseArrayLiteral(text: string, delimiter = ','): TextArray {
  let i = 0;
  if (text[0] === '[') {
    i = text.indexOf('=') + 1;
    if (i === 0) throw bad('array', text);
  }
  const [out, end] = parseArrayAt(text, i, delimiter);
  if (end !== text.length) throw bad('array', text);
  return out;
}

function parseArrayAt(text: string, start: number, delim: string): [TextArray, number] {
  if (text[start] !== '{') throw bad('array', text);
  const out: TextArray = [];
  let i = start + 1;
  if (text[i] === '}') return [out, i + 1];
  for (;;) {
    if (text[i] === '{') {
      const [inner, next] = parseArrayAt(text, i, delim);
      out.push(inner);
      i = next;
    } else {
      const [el, next, quoted] = readElement(text, i, [delim, '}']);
      out.push(!quoted && el === 'NULL' ? null : el);
      i = next;
    }
    const c = text[i++];
    if (c === '}') return [out, i];
    if (c !== delim) throw bad('array', text);
  }
}

/** Read a possibly double-quoted element with backslash escapes, up to a stop character. */
function readElement(text: string, start: number, stops: string[]): [string, number, boolean] {
  let i = start;
  if (text[i] === '"') {
    let s = '';
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      s += text[i++] ?? '';
    }
    if (text[i] !== '"') throw bad('quoted element', text);
    return [s, i + 1, true];
  }
  let s = '';
  while (i < text.length && !stops.includes(text[i]!)) {
    if (text[i] === '\\') i++;
    s += text[i++] ?? '';
  }
  return [s.trim(), i, false];
}

/**
 * Read a double-quoted section of a composite or range literal starting at the quote at `at`:
 * `""` is a quote, a backslash escapes the next character. Returns the unquoted text and the
 * index just past the closing quote (reading stops at `end`).
 */
export function readQuoted(text: string, at: number, end = text.length): [string, number] {
  let s = '';
  let i = at + 1;
  while (i < end) {
    if (text[i] === '"' && text[i + 1] === '"') {
      s += '"';
      i += 2;
    } else if (text[i] === '"') break;
    else if (text[i] === '\\') {
      s += text[i + 1] ?? '';
      i += 2;
    } else s += text[i++];
  }
  return [s, i + 1];
}

/**
 * Parse a composite (row) literal `(1,"a b",,"x""y")` into its field texts; an empty unquoted
 * field is NULL. Field types are not known here: decode each with `decodeValue` if needed.
 */
export function parseCompositeLiteral(text: string): (string | null)[] {
  if (text[0] !== '(' || text[text.length - 1] !== ')') throw bad('composite', text);
  const out: (string | null)[] = [];
  let i = 1;
  const end = text.length - 1;
  if (i === end) return [null];
  for (;;) {
    let s = '';
    let quoted = false;
    while (i < end && text[i] !== ',') {
      const c = text[i]!;
      if (c === '"') {
        quoted = true;
        let part: string;
        [part, i] = readQuoted(text, i, end);
        s += part;
      } else if (c === '\\') {
        s += text[i + 1] ?? '';
        i += 2;
      } else s += text[i++];
    }
    out.push(!quoted && s === '' ? null : s);
    if (i >= end) return out;
    i++;
  }
}

function bad(what: string, text: string): UnbundledError {
  return new UnbundledError(
    'CHANGE_VALUE_INVALID',
    `malformed Postgres ${what} literal: ${JSON.stringify(text.slice(0, 80))}`,
  );
}
