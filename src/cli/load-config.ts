import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UnbundledError } from '../core/index.ts';
import type { AnySystem } from '../system/index.ts';

/** Load the default export of a config file (`unbundled.config.ts` by default) as a system. */
export async function loadSystem(path = 'unbundled.config.ts'): Promise<AnySystem> {
  const file = resolve(path);
  if (!existsSync(file)) {
    throw new UnbundledError(
      'CLI_CONFIG_NOT_FOUND',
      `no config at ${file}: pass the path of a file whose default export is defineSystem({...})`,
    );
  }
  const mod = (await import(pathToFileURL(file).href)) as { default?: { kind?: unknown } };
  if (mod.default?.kind !== 'system') {
    throw new UnbundledError(
      'CLI_CONFIG_INVALID',
      `${file} does not default-export a system: write \`export default defineSystem({ ... })\``,
    );
  }
  return mod.default as AnySystem;
}
