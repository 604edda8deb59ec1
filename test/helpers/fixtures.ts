import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of a file under test/fixtures/. */
export function fixture(...parts: string[]): string {
  return join(fileURLToPath(new URL('../fixtures/', import.meta.url)), ...parts);
}

/** The PyTorch-exported fixtures (see test/fixtures/pytorch/export.py and manifest.json). */
export const PYTORCH_FIXTURES = ['tiny_cnn_legacy', 'multihead_legacy', 'tiny_vit_legacy', 'tiny_cnn_dynamo', 'multihead_dynamo'] as const;

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempDir(prefix = 'tandem-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Files under a folder (recursive, relative, sorted), hidden staging folders included; [] where it does not exist. */
export function fileTree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name).slice(dir.length + 1))
    .sort();
}
