// npm run build: the action's bundles, made by rolldown from src/ (rolldown strips the types; `npm run typecheck`
// checks them), minified, split so that each mode loads only what it uses (DIST_FILES below): the main step's
// entry and what every mode needs; the GitHub side (Octokit, its plugins, the secret store), imported only by
// rotate with a github-token; libsodium, imported on the first seal; the post step, one file with the Kubiya
// client and nothing of the main step; undici, required only behind a proxy; and licenses.txt.
//
// <dir> is the repository (the committed dist/, what check-dist compares) or, for the tests and scripts, a directory
// under .tmp/ (test/sandbox/action-bundle.ts).
//
//   node scripts/build.ts            build dist/ in place
//   node scripts/build.ts --quiet    without the progress lines
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { rolldown, type OutputChunk, type Plugin, type RolldownOutput } from 'rolldown';

export const repoRoot = path.resolve(import.meta.dirname, '..');

/** Every file of dist/, and which step or mode loads it (test/e2e/bundle-loading.test.ts checks what each loads). */
export const DIST_FILES = {
  'index.js': 'main step entry',
  'cli.js': 'the command line (the kubiya-api-key bin): entry',
  'command.js': 'the command line: its flags and runner',
  'main.js': 'main step: inputs, modes, @actions/core, the Kubiya client',
  'rolldown-runtime.js': "main step: the bundler's CommonJS interop",
  'client.js': 'rotate with github-token: re-exports github.js',
  'secrets.js': 'rotate with github-token: re-exports github.js',
  'github.js': 'rotate with github-token: Octokit, its plugins, the secret store',
  'variables.js': 'the GitLab store: re-exports gitlab.js',
  'gitlab.js': 'the GitLab store (the command line with --store gitlab): its HTTP client and CI/CD variables',
  'libsodium-wrappers.js': 'the first seal: re-exports seal.js',
  'seal.js': 'the first seal: libsodium',
  'post.js': 'post step, whole: @actions/core and the Kubiya client',
  'undici.cjs': 'only behind a proxy: the undici package',
  'licenses.txt': 'the license of every bundled package',
  'package.json': '{"type":"module"}',
} as const;

const LAZY = '\0lazy:';

/**
 * What @actions/http-client (under @actions/core, the Kubiya client and @actions/github) imports at the top but
 * uses only when it sends a request, or only behind a proxy — and what dominated the old bundle's start-up:
 *
 * - `undici`, for one class, ProxyAgent, used only by http-client's agent dispatcher behind a proxy (the action
 *   sends both services' requests through http-client's own agents, so it needs none):
 *   dist/undici.cjs, required the first time it is used.
 * - `http`, `https` (Node's: loading both costs about as much as starting Node) and `tunnel` (its proxy agents,
 *   which load `tls` and `net`): loaded on first use. The Kubiya client's first request loads the one module
 *   its URL needs; no request, no load.
 *
 * Each import of these from @actions/http-client gets a CommonJS stand-in with the same names, which loads the
 * real module on first use.
 */
const LAZY_NAMES: Record<string, { load: string; properties: string[]; functions: string[] }> = {
  http: { load: "require('node:http')", properties: ['Agent', 'globalAgent'], functions: ['request', 'get'] },
  https: { load: "require('node:https')", properties: ['Agent', 'globalAgent'], functions: ['request', 'get'] },
  tunnel: { load: "require('tunnel')", properties: [], functions: ['httpOverHttp', 'httpsOverHttp', 'httpOverHttps', 'httpsOverHttps'] },
  undici: { load: "require('./undici.cjs')", properties: ['ProxyAgent'], functions: [] },
};

function lazyLoads(): Plugin {
  return {
    name: 'lazy-loads',
    resolveId(source, importer) {
      if (source === 'undici') return { id: `${LAZY}undici`, external: false };
      if (importer && /[\\/]@actions[\\/]http-client[\\/]/.test(importer) && source in LAZY_NAMES) return `${LAZY}${source}`;
      if (importer === `${LAZY}undici` && source === './undici.cjs') return { id: './undici.cjs', external: true };
      return null;
    },
    load(id) {
      if (!id.startsWith(LAZY)) return null;
      const { load, properties, functions } = LAZY_NAMES[id.slice(LAZY.length)]!;
      return [
        'let loaded;',
        `const load = () => (loaded ??= ${load});`,
        'module.exports = {',
        ...properties.map((name) => `  get ${name}() { return load().${name}; },`),
        ...functions.map((name) => `  ${name}(...args) { return load().${name}(...args); },`),
        '};',
      ].join('\n');
    },
  };
}

/** Which named chunk a module goes to; the entries keep only their own few lines. */
function chunkOf(id: string): string | null {
  if (/[\\/]node_modules[\\/](libsodium|libsodium-wrappers)[\\/]/.test(id)) return 'seal';
  if (
    /[\\/]node_modules[\\/](@octokit|@actions[\\/]github|bottleneck|before-after-hook|universal-user-agent|json-with-bigint|content-type)[\\/]/.test(
      id,
    )
  )
    return 'github';
  // The workflows client is not Octokit's: check mode and the keep-alive use it without loading the GitHub chunk.
  if (/[\\/]src[\\/]github[\\/](?!workflows\.ts$)/.test(id)) return 'github';
  if (/[\\/]src[\\/]gitlab[\\/]/.test(id)) return 'gitlab';
  if (/[\\/]src[\\/]cli[\\/]/.test(id)) return 'command';
  return null;
}

/**
 * Builds the action into `actionDir` (default: the repository). Another directory must be inside the
 * repository; it gets a copy of action.yml, so it is a complete action.
 */
export async function buildAction(options: { actionDir?: string; log?: (line: string) => void } = {}): Promise<void> {
  const actionDir = path.resolve(options.actionDir ?? repoRoot);
  const log = options.log ?? (() => {});
  const relative = path.relative(repoRoot, actionDir);
  if (relative.startsWith('..') || path.isAbsolute(relative)) throw new Error(`build: ${actionDir} is not inside ${repoRoot}`);
  const dist = path.join(actionDir, 'dist');
  const where = relative === '' ? 'dist/' : `${relative}/dist/`;
  const started = Date.now();

  await rm(dist, { recursive: true, force: true });
  await mkdir(dist, { recursive: true });
  try {
    log(`build: rolldown src/index.ts, src/cli.ts → ${where}index.js, cli.js and the chunks they import`);
    const entry = path.join(repoRoot, 'src/index.ts');
    const cli = path.join(repoRoot, 'src/cli.ts');
    const main = await bundle(
      { input: { index: entry, cli }, plugins: [lazyLoads()] },
      {
        banner: (chunk) => (chunk.fileName === 'cli.js' ? '#!/usr/bin/env node' : ''),
        dir: dist,
        format: 'esm',
        entryFileNames: '[name].js',
        chunkFileNames: '[name].js',
        codeSplitting: {
          groups: [
            // Not the entry itself: its top-level await must not be in a chunk that github.js imports (a cycle that
            // never settles).
            { name: 'main', test: (id: string) => !chunkOf(id) && id !== entry && id !== cli, priority: 3 },
            { name: (id: string) => chunkOf(id), debugName: 'github, seal', priority: 2 },
          ],
        },
      },
    );
    log(`build: rolldown src/post.ts → ${where}post.js`);
    const post = await bundle(
      { input: { post: path.join(repoRoot, 'src/post.ts') }, plugins: [lazyLoads()] },
      { dir: dist, format: 'esm', entryFileNames: '[name].js', codeSplitting: false },
    );
    log(`build: rolldown undici → ${where}undici.cjs`);
    const undici = await bundle(
      { input: { undici: path.join(repoRoot, 'node_modules/undici/index.js') } },
      { dir: dist, format: 'cjs', entryFileNames: '[name].cjs' },
    );
    const files = [...main.output, ...post.output, ...undici.output].map((file) => file.fileName).sort();
    const unexpected = files.filter((file) => !(file in DIST_FILES));
    if (unexpected.length > 0) throw new Error(`unexpected files in dist/: ${unexpected.join(', ')} (update DIST_FILES and the docs)`);
    await writeFile(path.join(dist, 'licenses.txt'), await licenses([...main.output, ...post.output, ...undici.output]));
    await writeFile(path.join(dist, 'package.json'), '{"type":"module"}\n');
    if (relative !== '') await copyFile(path.join(repoRoot, 'action.yml'), path.join(actionDir, 'action.yml'));
  } catch (error) {
    throw new Error(`build failed: ${(error as Error).message}`, { cause: error });
  }
  log(`build: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function bundle(input: Parameters<typeof rolldown>[0], output: Parameters<Awaited<ReturnType<typeof rolldown>>['write']>[0]) {
  const build = await rolldown({ platform: 'node', logLevel: 'warn', treeshake: true, ...input });
  try {
    return await build.write({ minify: true, comments: { legal: false }, ...output });
  } finally {
    await build.close();
  }
}

/** ncc's format, which the old bundle had: the package's name, its license id, its license text; a blank line. */
async function licenses(output: RolldownOutput['output']): Promise<string> {
  const packages = new Map<string, string>(); // package directory → its entry
  for (const chunk of output.filter((file): file is OutputChunk => file.type === 'chunk')) {
    for (const id of chunk.moduleIds) {
      const match = /^(.*[\\/]node_modules[\\/](?:@[^\\/]+[\\/])?[^\\/]+)[\\/]/.exec(id);
      if (!match || packages.has(match[1]!)) continue;
      const dir = match[1]!;
      const manifest = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as { name: string; license?: string };
      const file = ['LICENSE', 'LICENSE.md', 'LICENSE.txt', 'license', 'LICENCE', 'license.md'].find((name) =>
        existsSync(path.join(dir, name)),
      );
      const text = file ? (await readFile(path.join(dir, file), 'utf8')).trim() : '';
      packages.set(dir, `${manifest.name}\n${manifest.license ?? ''}\n${text}\n`);
    }
  }
  return [...new Set(packages.values())].sort().join('\n');
}

if (import.meta.main) {
  const quiet = process.argv.includes('--quiet');
  await buildAction({ log: quiet ? undefined : (line) => console.error(line) });
}
