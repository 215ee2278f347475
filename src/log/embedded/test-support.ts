import type { LogLogger } from './options.ts';

/** A logger that keeps lines in memory (tests assert on them). */
export function silentLogger(): LogLogger & {
  lines: { level: string; obj: object; msg: string }[];
} {
  const lines: { level: string; obj: object; msg: string }[] = [];
  return {
    lines,
    info: (obj, msg) => lines.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => lines.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => lines.push({ level: 'error', obj, msg }),
  };
}
