import type { Runtime } from '../../src/system/index.ts';
import type { LoadStats } from './load.ts';

let lastLines = 0;
let lastOrders = 0;
let lastAt = Date.now();

/** A block of text: writes/s and, per view, phase, lag and applied changes. Redrawn on a TTY. */
export function renderStatus(
  rt: Runtime,
  stats: LoadStats,
  elapsedMs: number,
  tty: boolean,
): string {
  const now = Date.now();
  const rate = ((stats.orders - lastOrders) * 1000) / Math.max(1, now - lastAt);
  lastOrders = stats.orders;
  lastAt = now;
  const lines = [
    `t=${(elapsedMs / 1000).toFixed(0)}s  orders ${stats.orders} (${rate.toFixed(0)}/s)  updates ${stats.updates}  deletes ${stats.deletes}  tx ${stats.transactions}  dead letters ${rt.deadLetters}`,
    ...rt.viewStatus().map((v) => {
      const rebuild = v.rebuild ? `  rebuild ${v.rebuild.done}/${v.rebuild.total}` : '';
      return `  ${v.name.padEnd(18)} ${v.phase.padEnd(8)} lag ${String(v.lagRecords).padStart(6)} rec ${String(v.lagMs).padStart(5)} ms  applied ${v.appliedRecords}${rebuild}`;
    }),
  ];
  const clear = tty && lastLines > 0 ? `\x1b[${lastLines}A\x1b[J` : '';
  lastLines = tty ? lines.length : 0;
  return `${clear}${lines.join('\n')}\n`;
}
