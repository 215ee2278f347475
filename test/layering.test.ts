import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { layeringViolations } from './layering.ts';

describe('layering', () => {
  it('no lower folder imports a higher one (DESIGN.md dependency order)', () => {
    expect(layeringViolations(resolve(import.meta.dirname, '..', 'src'))).toEqual([]);
  });

  it('catches a planted violation: log/ importing system/', () => {
    const root = mkdtempSync(join(tmpdir(), 'layering-'));
    mkdirSync(join(root, 'log'));
    mkdirSync(join(root, 'system'));
    mkdirSync(join(root, 'capture'));
    mkdirSync(join(root, 'dataflow'));
    writeFileSync(join(root, 'log', 'bad.ts'), "import { x } from '../system/index.ts';\n");
    writeFileSync(join(root, 'system', 'index.ts'), "export { y } from '../log/bad.ts';\n");
    writeFileSync(join(root, 'capture', 'a.ts'), "import type { D } from '../dataflow/d.ts';\n");
    writeFileSync(join(root, 'dataflow', 'd.ts'), 'export type D = 1;\n');
    expect(layeringViolations(root)).toEqual([
      'capture/a.ts imports dataflow/ (capture may not depend on dataflow)',
      'log/bad.ts imports system/ (log may not depend on system)',
    ]);
  });
});
