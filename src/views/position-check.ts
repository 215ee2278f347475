import { UnbundledError } from '../core/errors.ts';
import { mergePositions, type Position } from '../core/position.ts';

/** How an incoming batch position relates to the committed one. */
export type PositionVerdict =
  | { readonly kind: 'ahead'; readonly next: Position }
  | { readonly kind: 'stale' };

/**
 * Decide whether a batch at `incoming` may be applied on top of `committed`. Ahead: every
 * partition it names is at or past the committed offset and one is strictly past; the next
 * committed position is the pointwise maximum. Stale: nothing advances (a replay). Throws
 * `VIEW_POSITION_CONFLICT` when some partition moves back while another advances.
 */
export function checkPosition(
  view: string,
  committed: Position | null,
  incoming: Position,
): PositionVerdict {
  validatePosition(view, incoming);
  if (committed === null) return { kind: 'ahead', next: { ...incoming } };
  let ahead = false;
  let behind: string | undefined;
  for (const [k, v] of Object.entries(incoming)) {
    const have = committed[k] ?? 0;
    if (v > have) ahead = true;
    else if (v < have) behind = k;
  }
  if (ahead && behind !== undefined) throw conflict(view, committed, incoming, behind);
  return ahead ? { kind: 'ahead', next: mergePositions(committed, incoming) } : { kind: 'stale' };
}

/** Throw `VIEW_POSITION_INVALID` unless every offset is a non-negative safe integer. */
export function validatePosition(view: string, p: Position): void {
  for (const [k, v] of Object.entries(p)) {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new UnbundledError(
        'VIEW_POSITION_INVALID',
        `view "${view}": position offset ${k}=${v} is not a non-negative integer; positions map "topic/partition" to the next offset to read`,
      );
    }
  }
}

function conflict(view: string, committed: Position, incoming: Position, k: string) {
  return new UnbundledError(
    'VIEW_POSITION_CONFLICT',
    `view "${view}": batch position moves ${k} back to ${incoming[k]} (committed ${committed[k]}) while advancing another partition; likely two writers share a partition of this view version — give each partition one writer (leases) or rebuild the version`,
    { details: { committed, incoming } },
  );
}
