import { UnbundledError } from '../errors.ts';
import { readQuoted } from './pg-literals.ts';

/**
 * A Postgres range as JS: `{ empty: true }`, or bounds with inclusivity. A `null` bound is
 * unbounded (distinct from a bound whose value is the text 'infinity').
 */
export type PgRange<T> =
  | { readonly empty: true }
  | {
      readonly empty: false;
      readonly lower: T | null;
      readonly upper: T | null;
      readonly lowerInclusive: boolean;
      readonly upperInclusive: boolean;
    };

/** Parse a range literal (`[1,5)`, `empty`, `("2020-01-01 00:00:00+00",)`) with bounds as text. */
export function parseRangeLiteral(text: string): PgRange<string> {
  if (text === 'empty') return { empty: true };
  const open = text[0];
  const close = text[text.length - 1];
  if ((open !== '[' && open !== '(') || (close !== ']' && close !== ')')) throw bad(text);
  const [lower, i] = readBound(text, 1);
  if (text[i] !== ',') throw bad(text);
  const [upper, j] = readBound(text, i + 1);
  if (j !== text.length - 1) throw bad(text);
  return {
    empty: false,
    lower,
    upper,
    lowerInclusive: open === '[',
    upperInclusive: close === ']',
  };
}

/** Parse a multirange literal `{[1,3),[5,7)}` into its ranges. */
export function parseMultirangeLiteral(text: string): PgRange<string>[] {
  if (text[0] !== '{' || text[text.length - 1] !== '}') throw bad(text);
  const out: PgRange<string>[] = [];
  let i = 1;
  while (i < text.length - 1) {
    const start = i;
    if (text.startsWith('empty', i)) i += 5;
    else {
      i = skipRange(text, i);
    }
    out.push(parseRangeLiteral(text.slice(start, i)));
    if (text[i] === ',') i++;
  }
  return out;
}

function skipRange(text: string, start: number): number {
  let i = start + 1;
  let quoted = false;
  for (; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && (c === ')' || c === ']')) return i + 1;
  }
  throw bad(text);
}

function readBound(text: string, start: number): [string | null, number] {
  let i = start;
  let s = '';
  let any = false;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      any = true;
      let part: string;
      [part, i] = readQuoted(text, i);
      s += part;
    } else if (c === ',' || c === ')' || c === ']') break;
    else if (c === '\\') {
      any = true;
      s += text[i + 1] ?? '';
      i += 2;
    } else {
      any = true;
      s += c;
      i++;
    }
  }
  return [any ? s : null, i];
}

function bad(text: string): UnbundledError {
  return new UnbundledError(
    'CHANGE_VALUE_INVALID',
    `malformed Postgres range literal: ${JSON.stringify(text.slice(0, 80))}`,
  );
}
