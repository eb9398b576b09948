// What each step and mode loads of dist/ (scripts/build.ts splits it so that each loads only what it uses): the
// built action is run as the runner runs it, with a preloaded module that records every file of dist/ that Node
// loads. Also: the post bundle holds nothing of Octokit or libsodium, and dist/ holds exactly the files the build
// declares.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIST_FILES } from '../../scripts/build.ts';
import { actionUnderTest } from '../sandbox/action-bundle.ts';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.ts';

const dist = path.join(actionUnderTest(), 'dist');
const RECORDER = `import { registerHooks } from 'node:module';
import { appendFileSync } from 'node:fs';
registerHooks({
  load(url, context, nextLoad) {
    if (url.startsWith('file:')) appendFileSync(process.env.LOADED_FILES_LOG, url + '\\n');
    return nextLoad(url, context);
  },
});
`;

let sandbox: Sandbox;
let probeDir: string;
beforeAll(async () => {
  sandbox = await startSandbox();
  probeDir = await mkdtemp(path.join(tmpdir(), 'bundle-loading-'));
  await writeFile(path.join(probeDir, 'recorder.mjs'), RECORDER);
});
afterAll(async () => {
  await sandbox.close();
  await rm(probeDir, { recursive: true, force: true });
});

let runs = 0;
/** The dist/ files each step loaded, in order of first load. */
async function loaded(inputs: Record<string, string>, env: Record<string, string> = {}) {
  const logs = { main: path.join(probeDir, `main-${++runs}.log`), post: path.join(probeDir, `post-${runs}.log`) };
  const options = (log: string) => ({
    NODE_OPTIONS: `--import=${pathToFileURL(path.join(probeDir, 'recorder.mjs')).href}`,
    LOADED_FILES_LOG: log,
    ...env,
  });
  const { main, post } = await sandbox.run({
    runId: String(7000 + runs),
    inputs,
    env: options(logs.main),
    post: { env: options(logs.post) },
  });
  const read = async (file: string) =>
    [...new Set((await readFile(file, 'utf8').catch(() => '')).split('\n').filter((url) => url.startsWith(pathToFileURL(dist).href)))].map(
      (url) => path.basename(new URL(url).pathname),
    );
  return { main, post, mainFiles: (await read(logs.main)).sort(), postFiles: (await read(logs.post)).sort() };
}

const MAIN = ['index.js', 'main.js', 'rolldown-runtime.js'];
const GITHUB = ['client.js', 'github.js', 'secrets.js'];
const SEAL = ['libsodium-wrappers.js', 'seal.js'];

describe('each mode loads only the dist/ chunks it uses', () => {
  it('rotate with a github-token: main, the GitHub chunk and, to seal, libsodium; never undici without a proxy', async () => {
    const { main, post, mainFiles, postFiles } = await loaded({});
    expect(main.exitCode, main.stdout).toBe(0);
    expect(mainFiles).toEqual([...MAIN, ...GITHUB, ...SEAL].sort());
    expect(post?.exitCode).toBe(0);
    expect(postFiles, 'the post step loads post.js alone').toEqual(['post.js']);
  });

  it('rotate in a dry-run: the GitHub chunk to check access, no libsodium (nothing is sealed)', async () => {
    const { main, mainFiles } = await loaded({ 'dry-run': 'true' });
    expect(main.exitCode, main.stdout).toBe(0);
    expect(mainFiles).toEqual([...MAIN, ...GITHUB].sort());
  });

  it('mint: neither the GitHub chunk nor libsodium, in main or in the post step that revokes the key', async () => {
    const { main, post, mainFiles, postFiles } = await loaded({ mode: 'mint', 'github-token': '' });
    expect(main.exitCode, main.stdout).toBe(0);
    expect(mainFiles).toEqual(MAIN.sort());
    expect(post?.exitCode, post?.stdout).toBe(0);
    expect(postFiles).toEqual(['post.js']);
  });

  it('revoke: neither the GitHub chunk nor libsodium', async () => {
    const { main, mainFiles } = await loaded({ mode: 'revoke', 'github-token': '' });
    expect(main.exitCode, main.stdout).toBe(0);
    expect(mainFiles).toEqual(MAIN.sort());
  });

  it('check, with a rotation workflow: neither the GitHub chunk nor libsodium (its GitHub reads go over the one HTTP stack)', async () => {
    sandbox.github.addWorkflow('acme/web', 'rotate-kubiya-key.yml');
    const jobToken = 'ghs_BundleLoadingJobToken000000000000000';
    sandbox.github.addToken(jobToken, { kind: 'github-token', actions: 'read' });
    const { main, mainFiles } = await loaded({
      mode: 'check',
      'api-key': sandbox.adminKey,
      'admin-api-key': '',
      'github-token': '',
      'rotation-workflow': 'rotate-kubiya-key.yml',
      'workflow-token': jobToken,
    });
    expect(main.exitCode, main.stdout).toBe(0);
    expect(main.stdout).toContain('rotate-kubiya-key.yml');
    expect(main.stdout).not.toMatch(/::warning::/);
    expect(mainFiles).toEqual(MAIN.sort());
  });

  it('behind a proxy, undici is loaded (and only then)', async () => {
    // The GitHub API URL is not a loopback address, so HTTPS_PROXY applies to it; the proxy refuses, and the
    // run fails after loading undici for its ProxyAgent — what proves the lazy require resolves.
    const { main, mainFiles } = await loaded(
      { 'dry-run': 'true', 'github-api-url': 'https://github.invalid/api/v3' },
      { HTTPS_PROXY: 'http://127.0.0.1:9', KUBIYA_ACTION_RETRY_BASE_MS: '1' },
    );
    expect(mainFiles).toContain('undici.cjs');
    expect(main.stdout + main.stderr).not.toMatch(/Cannot find module|is not a constructor|is not a function/);
  });
});

describe('the dist/ files', () => {
  it('are exactly those the build declares', async () => {
    expect((await readdir(dist)).sort()).toEqual(Object.keys(DIST_FILES).sort());
  });

  it('the post bundle holds neither Octokit nor libsodium, and imports no other chunk', async () => {
    const post = await readFile(path.join(dist, 'post.js'), 'utf8');
    for (const name of ['octokit', 'libsodium', 'sodium', 'Bottleneck', 'crypto_box_seal', 'x-github-api-version'])
      expect(post.toLowerCase(), name).not.toContain(name.toLowerCase());
    expect(post.match(/from\s*["'`]\.\/[^"'`]+["'`]|import\(\s*["'`]\.\/[^"'`]+["'`]\s*\)/g) ?? []).toEqual([]);
    expect(
      (post.match(/["'`]\.\/[^"'`]+\.c?js["'`]/g) ?? []).map((name) => name.slice(1, -1)),
      'the one file it may require: undici, behind a proxy',
    ).toEqual(['./undici.cjs']);
  });
});
