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
