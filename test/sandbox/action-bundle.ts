// Which built action the runner emulator runs: the one place the tests and scripts locate dist/.
//
// `npm test` (vitest's globalSetup, test/global-setup.ts), `npm run bench`, `demo` and `summary:preview` build
// the action from the current src/ into .tmp/action-build/<hash of the inputs>/ and set KUBIYA_ACTION_DIR to
// it, so no test ever runs a bundle older than the source. The committed dist/ is checked separately:
// `npm run check-dist` (CI, .ci/run, the release script) rebuilds it and fails when it differs.
//
// KUBIYA_ACTION_DIR set beforehand is used as it is: `KUBIYA_ACTION_DIR=. npm test` runs the suites against the
// committed dist/.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { buildAction } from '../../scripts/build.ts';
import { repoRoot } from './action-metadata.ts';

export const ACTION_DIR_ENV = 'KUBIYA_ACTION_DIR';
const CACHE = path.join(repoRoot, '.tmp', 'action-build');

/** The action directory (action.yml + dist/) the runner emulator runs when a test names none. */
export function actionUnderTest(): string {
  const dir = process.env[ACTION_DIR_ENV];
  return dir ? path.resolve(repoRoot, dir) : repoRoot;
}

/** Everything the bundles are made from: src/, action.yml, the build configuration and the lockfile. */
async function inputsHash(): Promise<string> {
  const hash = createHash('sha256');
  const files = [
    ...(await readdir(path.join(repoRoot, 'src'), { recursive: true, withFileTypes: true }))
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(repoRoot, path.join(entry.parentPath, entry.name))),
    'action.yml',
    'package.json',
    'package-lock.json',
    'tsconfig.json',
    'scripts/build.ts',
  ].sort();
  for (const file of files)
    hash
      .update(`${file}\0`)
      .update(await readFile(path.join(repoRoot, file)))
      .update('\0');
  return hash.digest('hex').slice(0, 16);
}

/**
 * An action directory built from the current sources: reused when nothing it is built from changed since,
 * otherwise built (a few seconds). Older builds are removed.
 */
export async function freshActionDir(log: (line: string) => void = () => {}): Promise<string> {
  const key = await inputsHash();
  const dir = path.join(CACHE, key);
  if (existsSync(path.join(dir, 'dist', 'post.js'))) {
    log(`action: the build of the current src/ is up to date (.tmp/action-build/${key})`);
    return dir;
  }
  log(`action: building the current src/ into .tmp/action-build/${key}`);
  const partial = path.join(CACHE, `${key}.partial-${process.pid}`);
  try {
    await buildAction({ actionDir: partial, log });
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
  await rm(dir, { recursive: true, force: true });
  await rename(partial, dir);
  for (const entry of await readdir(CACHE)) {
    if (entry !== key && !entry.includes('.partial-')) await rm(path.join(CACHE, entry), { recursive: true, force: true });
  }
  return dir;
}

/** For scripts: builds (or reuses) the current sources and points the runner emulator at them. */
export async function useFreshAction(log: (line: string) => void = () => {}): Promise<string> {
  if (process.env[ACTION_DIR_ENV]) {
    log(`action: ${ACTION_DIR_ENV}=${process.env[ACTION_DIR_ENV]} (not rebuilt)`);
    return actionUnderTest();
  }
  const dir = await freshActionDir(log);
  process.env[ACTION_DIR_ENV] = dir;
  return dir;
}
