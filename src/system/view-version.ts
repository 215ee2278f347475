import { createHash } from 'node:crypto';
import { encodeCanonical } from '../dataflow/index.ts';
import type { ViewDef } from './define-system.ts';

/**
 * A view's version: the first 12 hex digits of SHA-256 over its definition — the source text of
 * its query and key functions, its store kind and options, and the tables it reads. Any change
 * gives a new version, which the runtime rebuilds from the log beside the live one.
 */
export function viewVersion(
  // biome-ignore lint/suspicious/noExplicitAny: any view
  view: ViewDef<any, any>,
  inputs: readonly string[],
): string {
  const text = encodeCanonical({
    query: normalize(view.query.toString()),
    key: normalize(view.key.toString()),
    store: { kind: view.store.kind, options: view.store.options },
    inputs: [...inputs].sort(),
  });
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/** Whitespace-insensitive function text, so reformatting a config does not force a rebuild. */
function normalize(source: string): string {
  return source.replace(/\s+/g, ' ').trim();
}
