// For `npm run bench`: the fault matrix's survival counts per fault kind. The matrix runs where the
// leak scan lives — in the vitest suite (test/e2e/world.ts needs vitest) — so this runs that one file
// under vitest and reads the table it writes. No vitest import here: plain Node can load this module.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '../sandbox/runner.ts';
import type { SurvivalRow } from './fault-matrix.ts';

export type { SurvivalRow } from './fault-matrix.ts';

export const MATRIX_SUITE = 'test/faults/invariant-survives-a-fault-at-any-request.test.ts';

/** Runs the fault-matrix suite (the built action against the emulators; `onOutput` sees vitest's output as it comes) and returns `survived/total` per scenario and kind. */
export async function faultMatrixSurvival(options: { onOutput?: (text: string) => void } = {}): Promise<SurvivalRow[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'fault-matrix-'));
  const report = path.join(dir, 'survival.json');
  try {
    const vitest = path.join(repoRoot, 'node_modules', 'vitest', 'vitest.mjs');
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [vitest, 'run', MATRIX_SUITE, '--reporter=dot'], {
        cwd: repoRoot,
        env: { ...process.env, FAULT_MATRIX_REPORT: report },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      const collect = (chunk: Buffer) => {
        output += chunk.toString();
        options.onOutput?.(chunk.toString());
      };
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, output }));
    });
    let text: string;
    try {
      text = await readFile(report, 'utf8');
    } catch {
      throw new Error(`the fault matrix wrote no report (vitest exited ${code}):\n${output}`);
    }
    return JSON.parse(text) as SurvivalRow[];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
