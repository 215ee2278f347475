import { UnbundledError } from './errors.ts';

/**
 * A position in the log: for each (topic, partition), the next offset to read, i.e. every record
 * below it has been applied. Keys are `topic/partition`. Positions are what views commit
 * atomically with their data and what read-your-writes tokens carry.
 */
export type Position = Readonly<Record<string, number>>;

export function partitionKey(topic: string, partition: number): string {
  return `${topic}/${partition}`;
}

export function parsePartitionKey(key: string): { topic: string; partition: number } {
  const at = key.lastIndexOf('/');
  const partition = Number(key.slice(at + 1));
  if (at <= 0 || !Number.isInteger(partition) || partition < 0) {
    throw new UnbundledError('POSITION_INVALID', `"${key}" is not a topic/partition key`);
  }
  return { topic: key.slice(0, at), partition };
}

/** Pointwise maximum of two positions. */
export function mergePositions(a: Position, b: Position): Position {
  const out: Record<string, number> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = Math.max(out[k] ?? 0, v);
  return out;
}

/** True when `have` has reached `want` on every partition `want` names. */
export function positionCovers(have: Position, want: Position): boolean {
  for (const [k, v] of Object.entries(want)) if ((have[k] ?? 0) < v) return false;
  return true;
}

/** Encode a position as an opaque URL-safe token (for read-your-writes). */
export function encodePositionToken(p: Position): string {
  return Buffer.from(JSON.stringify(sortedEntries(p))).toString('base64url');
}

export function decodePositionToken(token: string): Position {
  try {
    const entries = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (!Array.isArray(entries)) throw new Error('not an array');
    const out: Record<string, number> = {};
    for (const e of entries) {
      if (!Array.isArray(e) || typeof e[0] !== 'string' || !Number.isInteger(e[1])) {
        throw new Error('bad entry');
      }
      parsePartitionKey(e[0]);
      out[e[0]] = e[1] as number;
    }
    return out;
  } catch (cause) {
    throw new UnbundledError('POSITION_TOKEN_INVALID', `position token "${token}" is malformed`, {
      cause,
    });
  }
}

function sortedEntries(p: Position): [string, number][] {
  return Object.entries(p).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
