// npm run build: the action's bundles. tsc (tsconfig.build.json) compiles src/ to <dir>/build, then ncc bundles
// the main step into <dir>/dist/index.js (with dist/licenses.txt and dist/package.json) and the post step into
// <dir>/dist/post.js; <dir>/build is removed. <dir> is the repository (the committed dist/, what check-dist
// compares) or, for the tests and scripts, a directory under .tmp/ (test/sandbox/action-bundle.ts).
//
//   node scripts/build.ts            build dist/ in place
//   node scripts/build.ts --quiet    without the progress lines
import { execFile } from 'node:child_process';
import { copyFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const repoRoot = path.resolve(import.meta.dirname, '..');
const bin = (name: string) => path.join(repoRoot, 'node_modules', '.bin', name);

/**
 * Builds the action into `actionDir` (default: the repository). Another directory must be inside the
 * repository: ncc decides ESM output from the nearest package.json ("type": "module") and resolves
 * node_modules upwards from the compiled files. It gets a copy of action.yml, so it is a complete action.
 */
export async function buildAction(options: { actionDir?: string; log?: (line: string) => void } = {}): Promise<void> {
  const actionDir = path.resolve(options.actionDir ?? repoRoot);
  const log = options.log ?? (() => {});
  const relative = path.relative(repoRoot, actionDir);
  if (relative.startsWith('..') || path.isAbsolute(relative)) throw new Error(`build: ${actionDir} is not inside ${repoRoot}`);
  const build = path.join(actionDir, 'build');
  const dist = path.join(actionDir, 'dist');
  const postBundle = path.join(build, 'post-bundle');
  const where = relative === '' ? 'dist/' : `${relative}/dist/`;
  const started = Date.now();

  await rm(build, { recursive: true, force: true });
  await rm(dist, { recursive: true, force: true });
  try {
    log(`build: tsc src/ → ${relative === '' ? '' : `${relative}/`}build/`);
    await run(bin('tsc'), ['-p', path.join(repoRoot, 'tsconfig.build.json'), '--outDir', build], { cwd: repoRoot });
    log(`build: ncc main step → ${where}index.js`);
    await run(bin('ncc'), ['build', path.join(build, 'index.js'), '-o', dist, '--license', 'licenses.txt', '-q'], { cwd: repoRoot });
    log(`build: ncc post step → ${where}post.js`);
    await run(bin('ncc'), ['build', path.join(build, 'post.js'), '-o', postBundle, '-q'], { cwd: repoRoot });
    await rename(path.join(postBundle, 'index.js'), path.join(dist, 'post.js'));
    if (relative !== '') await copyFile(path.join(repoRoot, 'action.yml'), path.join(actionDir, 'action.yml'));
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`build failed: ${(error as Error).message}\n${stdout}${stderr}`.trimEnd(), { cause: error });
  } finally {
    await rm(build, { recursive: true, force: true });
  }
  log(`build: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

if (import.meta.main) {
  const quiet = process.argv.includes('--quiet');
  await buildAction({ log: quiet ? undefined : (line) => console.error(line) });
}
