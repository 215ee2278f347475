import { UnbundledError } from '../errors.ts';

/** Parse a Postgres LSN 'X/Y' (hex halves) into a bigint. */
export function parseLsn(text: string): bigint {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (!m) throw new UnbundledError('CHANGE_LSN_INVALID', `"${text}" is not a Postgres LSN (X/Y)`);
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}

/** Format a bigint LSN as Postgres does: 'X/Y', upper-case hex. */
export function formatLsn(lsn: bigint): string {
  const hi = (lsn >> 32n).toString(16).toUpperCase();
  const lo = (lsn & 0xffffffffn).toString(16).toUpperCase();
  return `${hi}/${lo}`;
}
