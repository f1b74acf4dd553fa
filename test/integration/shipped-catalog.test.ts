import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneLine, runEntry } from '#test-support/entry-process.js';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * A broken `config/catalog.json` must not crash the entry points with a stack trace. The tree is
 * copied (the shared checkout's own file is never touched) and its catalog broken in the copy.
 */
describe('a shipped catalog that is not JSON', () => {
  let tree: string;

  beforeAll(() => {
    tree = mkdtempSync(join(tmpdir(), 'broken-catalog-'));
    for (const part of [
      'bin',
      'cli',
      'config',
      'functions',
      'lib',
      'local',
      'package.json',
      'tsconfig.json',
    ]) {
      cpSync(join(ROOT, part), join(tree, part), { recursive: true });
    }
    symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'), 'dir');
    writeFileSync(join(tree, 'config', 'catalog.json'), '{\n  "version": 1,\n  "integrations": [\n  }\n');
  });
  afterAll(() => rmSync(tree, { recursive: true, force: true }));

  it('stops npm start with one line naming the file', async () => {
    const result = await runEntry(
      'local/start.ts',
      { LOCAL_DATA_DIR: mkdtempSync(join(tmpdir(), 'start-')) },
      tree,
    );
    expect(result.code).toBe(1);
    expect(oneLine(result.stderr)).toMatch(
      /^Invalid integration catalog \(config\/catalog\.json\): not JSON \(.+\)$/,
    );
    expect(result.stdout).toBe('');
  });

  it('stops the synth with one line naming the file, before bundling', async () => {
    const result = await runEntry('bin/app.ts', { CDK_OUTDIR: mkdtempSync(join(tmpdir(), 'synth-')) }, tree);
    expect(result.code).toBe(1);
    expect(oneLine(result.stderr)).toMatch(
      /^Invalid integration catalog \(config\/catalog\.json\): not JSON \(.+\)$/,
    );
  });
});
