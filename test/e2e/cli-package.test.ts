// The package as npm ships it: `npm pack` of the built dist/ and package.json, installed with no registry access
// into an empty folder (the bundle carries every runtime dependency), and its `kubiya-api-key` bin run through npx.
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { repoRoot } from '../sandbox/action-metadata.ts';
import { actionUnderTest } from '../sandbox/action-bundle.ts';

const run = promisify(execFile);
const work = await mkdtemp(path.join(tmpdir(), 'kubiya-pack-'));
afterAll(() => rm(work, { recursive: true, force: true }));

it('npm pack gives a tarball that installs offline and runs kubiya-api-key --help', { timeout: 120_000 }, async () => {
  const source = path.join(work, 'package');
  await cp(path.join(actionUnderTest(), 'dist'), path.join(source, 'dist'), { recursive: true });
  for (const file of ['package.json', 'action.yml', 'README.md', 'LICENSE']) {
    await cp(path.join(repoRoot, file), path.join(source, file)).catch(() => undefined);
  }
  const packed = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: source });
  const { filename, files } = (JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[])[0]!;
  // Only what runs: dist/ (and the metadata npm always adds), no source, no tests.
  expect(files.map((file) => file.path).filter((file) => !/^(dist\/|package\.json$|README\.md$|LICENSE$|action\.yml$)/.test(file))).toEqual(
    [],
  );

  const app = path.join(work, 'app');
  await cp(path.join(work, filename), path.join(app, filename));
  await writeFile(path.join(app, 'package.json'), '{"name":"app","private":true}\n');
  const env = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
  await run('npm', ['install', '--offline', '--omit=optional', `./${filename}`], { cwd: app, env });
  expect(await readdir(path.join(app, 'node_modules'))).toEqual(['.bin', '.package-lock.json', 'kubiya-api-key-action']);
  const help = await run('npx', ['--offline', 'kubiya-api-key', '--help'], { cwd: app, env, timeout: 60_000 });
  expect(help.stdout).toMatch(/^kubiya-api-key <mode> \[options\]/);
});
