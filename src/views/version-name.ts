import { createHash } from 'node:crypto';
import { UnbundledError } from '../core/errors.ts';

/** First 8 hex digits of sha256(version): the suffix of a version's table or file. */
export function hash8(version: string): string {
  return createHash('sha256').update(version).digest('hex').slice(0, 8);
}

/** Name of a version's table: `<view>_v_<hash8>`, e.g. `orders_v_3f2a9c1b`. */
export function versionTableName(view: string, version: string): string {
  return `${view}_v_${hash8(version)}`;
}

const IDENT = /^[a-z_][a-z0-9_]{0,47}$/;

/** Check that a view or column name is a plain SQL identifier (lower case, <= 48 chars). */
export function assertIdentifier(kind: string, name: string): void {
  if (!IDENT.test(name)) {
    throw new UnbundledError(
      'VIEW_NAME_INVALID',
      `${kind} name "${name}" is not a plain identifier; use lower-case letters, digits and _ (at most 48 characters, not starting with a digit)`,
    );
  }
}

/** Double-quote an identifier already checked by `assertIdentifier`. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
