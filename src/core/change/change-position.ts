/**
 * The source position of a captured record, used to append each change exactly once: the
 * commit LSN of its source transaction, the 0-based index of the row change in that
 * transaction (`seq`), and a sub-order (`sub`: 0 schema announcement, 1 row, 2 commit marker).
 * Carried in header `ub-pos` as `lsn/seq/sub` (decimal); positions in one partition increase.
 */
export interface ChangePosition {
  readonly lsn: bigint;
  readonly seq: number;
  readonly sub: number;
}

/** Header carrying the `ChangePosition` of a captured record. */
export const POSITION_HEADER = 'ub-pos';

/** `seq` of a standalone commit marker: after every row of the transaction. */
export const MARKER_SEQ = 2 ** 31;

export function formatPosition(p: ChangePosition): string {
  return `${p.lsn}/${p.seq}/${p.sub}`;
}

export function parsePosition(text: string | undefined): ChangePosition | null {
  if (text === undefined) return null;
  const [lsn, seq, sub] = text.split('/');
  if (lsn === undefined || seq === undefined || sub === undefined) return null;
  return { lsn: BigInt(lsn), seq: Number(seq), sub: Number(sub) };
}

/** Negative when a < b, 0 when equal, positive when a > b. */
export function comparePositions(a: ChangePosition, b: ChangePosition): number {
  if (a.lsn !== b.lsn) return a.lsn < b.lsn ? -1 : 1;
  if (a.seq !== b.seq) return a.seq - b.seq;
  return a.sub - b.sub;
}
