import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * Dependency order from DESIGN.md, lowest first. A folder may import only folders of a strictly
 * lower rank (and itself). Folders of equal rank (capture/dataflow) may not import each other;
 * cli sits above serve because `unbundled start` serves the system it runs. `testing` is a toolbox: any test file may use it, and it may use anything below
 * `system`.
 */
export const RANK: Readonly<Record<string, number>> = {
  core: 0,
  log: 1,
  capture: 2,
  dataflow: 2,
  views: 3,
  integrity: 4,
  system: 5,
  serve: 6,
  // The CLI is the outermost shell: `unbundled start` runs a system and serves it.
  cli: 7,
};

const IMPORT_RE =
  /(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

function* sourceFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* sourceFiles(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

/** Every "file imports folder" edge under `root` that breaks the dependency order. */
export function layeringViolations(root: string): string[] {
  const top = (file: string) => {
    const rel = relative(root, file);
    return rel.startsWith('..') ? undefined : rel.split(sep)[0];
  };
  const out: string[] = [];
  for (const file of sourceFiles(root)) {
    const from = top(file);
    if (from === undefined || !(from in RANK)) continue;
    const isTest = file.endsWith('.test.ts');
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT_RE)) {
      const to = top(resolve(dirname(file), (m[1] ?? m[2])!));
      if (to === undefined || to === from) continue;
      if (to === 'testing' && isTest) continue;
      if (from === 'testing' && (RANK[to] ?? 99) < RANK.system!) continue;
      if (to in RANK && RANK[to]! < RANK[from]!) continue;
      out.push(`${relative(root, file)} imports ${to}/ (${from} may not depend on ${to})`);
    }
  }
  return out;
}
