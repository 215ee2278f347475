import type { ViewStatus } from '../system/index.ts';

/** One line of rebuild progress: a bar, records done/total, events/s and ETA. */
export function progressLine(s: ViewStatus, startedAt: number, width = 30): string {
  const done = s.rebuild?.done ?? 0;
  const total = s.rebuild?.total ?? 0;
  const frac = total === 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(frac * width);
  const secs = Math.max(0.001, (Date.now() - startedAt) / 1000);
  const rate = done / secs;
  const eta = rate > 0 && total > done ? `${Math.ceil((total - done) / rate)}s` : '-';
  const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
  return `${s.name} ${bar} ${done}/${total} records  ${Math.round(rate)} events/s  ETA ${eta}  `;
}
