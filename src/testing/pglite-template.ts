import { cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

let template: Promise<string> | undefined;

/**
 * Make `dir` a fresh, empty PGlite data directory quickly: PGlite's initdb runs once per process
 * (seconds in WASM) into a template, which is then copied. Use it before opening PGlite on `dir`.
 */
export async function freshPgliteDir(dir: string): Promise<void> {
  template ??= createTemplate();
  const src = await template;
  mkdirSync(dirname(dir), { recursive: true });
  cpSync(src, dir, { recursive: true });
}

async function createTemplate(): Promise<string> {
  const dir = join(tmpdir(), `unbundled-pglite-template-${process.pid}`);
  if (existsSync(dir)) return dir;
  const building = `${dir}.building`;
  rmSync(building, { recursive: true, force: true });
  const db = await PGlite.create(building);
  await db.close();
  renameSync(building, dir);
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
