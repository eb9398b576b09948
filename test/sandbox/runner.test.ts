import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertNoLeaks, emulatorArtifacts, scanForLeaks, stepArtifacts } from './leak-scan.ts';
import {
  actionMetadataFromYaml,
  evaluateTemplate,
  firstIndexOf,
  isMaskedBeforeUse,
  maskedLog,
  maskIndexOf,
  parseFileCommand,
  parseWorkflowCommand,
  readActionMetadata,
  repoRoot,
  runJob,
  runStep,
} from './runner.ts';

const ACTION_YML = `name: Fake action   # comment
description: >
  A fake action for the
  runner emulator test.
inputs:
  some-name:
    description: "hyphenated: kept as INPUT_SOME-NAME"
    required: true
  repositories:
    description: |
      Targets,
      one per line.
    default: \${{ github.repository }}
  api-url:
    default: "\${{ github.api_url }}"
  run-url:
    default: \${{ github.server_url }}/\${{ github.repository }}/actions/runs/\${{ github.run_id }}
  quoted:
    default: 'it''s # not a comment'
  empty:
    default: ""
  no-default:
    required: false
  behaviour:
    default: ok     # trailing comment
  zero:
    default: 0
outputs:
  result:
    description: x
runs:
  using: node24
  main: main.mjs
  post: post.mjs
`;

const HELPERS = `
import { appendFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
const esc = (s) => s.replace(/%/g, '%25').replace(/\\r/g, '%0D').replace(/\\n/g, '%0A');
const escProp = (s) => esc(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
export const cmd = (name, props, msg) => {
  const p = Object.entries(props).map(([k, v]) => k + '=' + escProp(v)).join(',');
  process.stdout.write('::' + name + (p ? ' ' + p : '') + '::' + esc(msg) + '\\n');
};
export const heredoc = (file, name, value) => {
  const d = 'ghadelimiter_' + randomUUID();
  appendFileSync(process.env[file], name + '<<' + d + '\\n' + value + '\\n' + d + '\\n');
};
export const append = (file, text) => appendFileSync(process.env[file], text);
`;

const MAIN = `
import { cmd, heredoc, append } from './helpers.mjs';
const behaviour = process.env['INPUT_BEHAVIOUR'];
const secret = process.env['INPUT_SOME-NAME'];
if (behaviour === 'hang') {
  console.log('hanging');
  setInterval(() => {}, 1000);
} else if (behaviour === 'mint') {
  cmd('add-mask', {}, secret);
  heredoc('GITHUB_OUTPUT', 'api-key', secret);
  heredoc('GITHUB_ENV', 'KUBIYA_API_KEY', secret);
  heredoc('GITHUB_STATE', 'keyId', 'k-1');
} else {
  console.log('early ' + process.env['INPUT_EARLY']);
  cmd('add-mask', {}, secret);
  console.log('using ' + secret);
  cmd('group', {}, 'Target acme/web');
  cmd('warning', { title: 'Heads up: a,b', file: 'src/x.ts' }, 'line1\\nline2 100%');
  cmd('endgroup', {}, '');
  process.stderr.write('stderr ' + secret + '\\n');
  heredoc('GITHUB_OUTPUT', 'multi', 'a\\nb\\n');
  append('GITHUB_OUTPUT', 'plain=x=y\\n');
  heredoc('GITHUB_OUTPUT', 'inputs', JSON.stringify(Object.fromEntries(
    Object.entries(process.env).filter(([k]) => k.startsWith('INPUT_')))));
  heredoc('GITHUB_OUTPUT', 'env-names', Object.keys(process.env).sort().join(','));
  heredoc('GITHUB_OUTPUT', 'cwd', process.cwd());
  heredoc('GITHUB_STATE', 'keyId', 'k-123');
  append('GITHUB_STATE', 'expiresAt=2026-12-01T00:00:00Z\\n');
  heredoc('GITHUB_ENV', 'EXPORTED', 'from main');
  append('GITHUB_PATH', '/opt/fake-tool/bin\\n');
  append('GITHUB_STEP_SUMMARY', '# Summary\\n\\n| a | b |\\n');
  if (behaviour === 'fail') {
    cmd('error', {}, 'boom');
    process.exitCode = 3;
  }
}
`;

const POST = `
import { cmd, heredoc } from './helpers.mjs';
console.log('post sees ' + process.env['STATE_keyId'] + ' and ' + process.env['INPUT_SOME-NAME']);
heredoc('GITHUB_OUTPUT', 'seen', JSON.stringify({
  keyId: process.env['STATE_keyId'] ?? null,
  expiresAt: process.env['STATE_expiresAt'] ?? null,
  exported: process.env['EXPORTED'] ?? null,
  path: process.env['PATH'],
}));
`;

const SECRET = 'kbx_live_9f8e7d6c5b4a39281706';
let actionDir = '';

beforeAll(async () => {
  actionDir = await mkdtemp(path.join(tmpdir(), 'fake-action-'));
  await writeFile(path.join(actionDir, 'action.yml'), ACTION_YML);
  await writeFile(path.join(actionDir, 'helpers.mjs'), HELPERS);
  await writeFile(path.join(actionDir, 'main.mjs'), MAIN);
  await writeFile(path.join(actionDir, 'post.mjs'), POST);
});

afterAll(async () => {
  await rm(actionDir, { recursive: true, force: true });
});

describe('action.yml', () => {
  it('reads inputs, defaults and entry points', async () => {
    const meta = await readActionMetadata(actionDir);
    expect(meta.main).toBe('main.mjs');
    expect(meta.post).toBe('post.mjs');
    expect(meta.using).toBe('node24');
    expect(meta.outputs).toEqual(['result']);
    expect(meta.inputs['some-name']).toEqual({ required: true });
    expect(meta.inputs['repositories']).toEqual({ default: '${{ github.repository }}' });
    expect(meta.inputs['quoted']?.default).toBe("it's # not a comment");
    expect(meta.inputs['empty']?.default).toBe('');
    expect(meta.inputs['no-default']).toEqual({ required: false });
    expect(meta.inputs['behaviour']?.default).toBe('ok');
  });

  it('reads the repository action.yml', async () => {
    const meta = await readActionMetadata();
    expect(meta.main).toMatch(/^dist\//);
    expect(meta.inputs['admin-api-key']?.required).toBe(false); // required in every mode but check: the action says so
    expect(meta.inputs['github-api-url']?.default).toBe('${{ github.api_url }}');
  });

  it('gives every input default as the string the runner passes, and required as a boolean', () => {
    const meta = actionMetadataFromYaml(
      [
        'inputs:',
        '  number:',
        '    default: 0',
        '  quoted-number:',
        "    default: '0'",
        '  bool:',
        '    default: true',
        '    required: True',
        '  quoted-bool:',
        "    default: 'false'",
        "    required: 'true'",
        '  expr:',
        '    default: ${{ github.api_url }}',
        '  quoted-expr:',
        '    default: "${{ github.server_url }}/${{ github.repository }}" # comment',
        '  literal:',
        '    default: |',
        '      line one',
        '      line two',
        '  folded:',
        '    default: >-',
        '      folded',
        '      text',
        '  escaped:',
        '    default: "tab\\t\\u00e9 \\"q\\""',
        '  plain:',
        '    default: plain',
        '      continued',
        '  null-default:',
        '    default: ~',
        '    required: false',
        '  bare:',
        'outputs:',
        '  out-a:',
        '  out-b:',
        '    description: x',
        'runs:',
        '  using: node24',
        '  main: dist/index.js',
        '  post: dist/post.js',
        '  post-if: success()',
      ].join('\n'),
    );
    expect(meta).toEqual({
      inputs: {
        number: { default: '0' },
        'quoted-number': { default: '0' },
        bool: { default: 'true', required: true },
        'quoted-bool': { default: 'false', required: true },
        expr: { default: '${{ github.api_url }}' },
        'quoted-expr': { default: '${{ github.server_url }}/${{ github.repository }}' },
        literal: { default: 'line one\nline two\n' },
        folded: { default: 'folded text' },
        escaped: { default: 'tab\té "q"' },
        plain: { default: 'plain continued' },
        'null-default': { required: false },
        bare: {},
      },
      outputs: ['out-a', 'out-b'],
      using: 'node24',
      main: 'dist/index.js',
      post: 'dist/post.js',
      postIf: 'success()',
    });
    expect(actionMetadataFromYaml('runs:\n  main: main.mjs\n')).toEqual({ inputs: {}, outputs: [], using: '', main: 'main.mjs' });
  });

  it('rejects an action.yml it cannot use', () => {
    expect(() => actionMetadataFromYaml('runs:\n  using: node24\n')).toThrow(/runs\.main is missing/);
    expect(() => actionMetadataFromYaml('name: x\n')).toThrow(/runs must be a mapping/);
    expect(() => actionMetadataFromYaml('inputs:\n  - a\nruns:\n  main: m.js\n')).toThrow(/inputs must be a mapping/);
    expect(() => actionMetadataFromYaml('- a\n')).toThrow(/action\.yml must be a mapping/);
    expect(() => actionMetadataFromYaml('runs:\n  main: a.js\n  main: b.js\n')).toThrow(/unique/);
  });

  it('evaluates expressions in defaults', () => {
    const ctx = { github: { repository: 'acme/web', event_name: 'schedule', token: '' } };
    expect(evaluateTemplate('${{ github.repository }}', ctx)).toBe('acme/web');
    expect(evaluateTemplate('x-${{ github.REPOSITORY }}-y', ctx)).toBe('x-acme/web-y');
    expect(evaluateTemplate("${{ github.token || 'none' }}", ctx)).toBe('none');
    expect(evaluateTemplate("${{ github.event_name == 'SCHEDULE' && 'cron' || 'manual' }}", ctx)).toBe('cron');
    expect(evaluateTemplate('${{ github.missing }}', ctx)).toBe('');
    expect(() => evaluateTemplate('${{ format(1) }}', ctx)).toThrow(/not supported/);
  });
});

describe('runStep', () => {
  it('gives inputs as INPUT_* with hyphens kept and defaults evaluated like the runner', async () => {
    const result = await runStep({
      actionDir,
      inputs: { 'some-name': SECRET, empty: '' },
      github: { repository: 'octo/app', apiUrl: 'https://ghe.example.com/api/v3', runId: '77' },
    });
    expect(result.exitCode).toBe(0);
    expect(result.failed).toBe(false);
    expect(JSON.parse(result.outputs['inputs']!)).toEqual({
      'INPUT_SOME-NAME': SECRET,
      INPUT_REPOSITORIES: 'octo/app',
      'INPUT_API-URL': 'https://ghe.example.com/api/v3',
      'INPUT_RUN-URL': 'https://github.com/octo/app/actions/runs/77',
      INPUT_QUOTED: "it's # not a comment",
      INPUT_EMPTY: '',
      'INPUT_NO-DEFAULT': '',
      INPUT_BEHAVIOUR: 'ok',
      INPUT_ZERO: '0',
    });
    expect(result.inputs['repositories']).toBe('octo/app');
    expect(result.processEnv['GITHUB_REPOSITORY_OWNER']).toBe('octo');
    expect(result.processEnv['GITHUB_GRAPHQL_URL']).toBe('https://ghe.example.com/api/graphql');
    expect(result.outputs['cwd']).toBe(result.processEnv['GITHUB_WORKSPACE']);
  });

  it('starts from a minimal environment and passes proxies only when given', async () => {
    process.env['RUNNER_EMULATOR_CANARY'] = 'must-not-leak';
    try {
      const result = await runStep({
        actionDir,
        inputs: { 'some-name': SECRET },
        env: { HTTPS_PROXY: 'http://proxy.local:3128', NO_PROXY: '127.0.0.1' },
      });
      const names = result.outputs['env-names']!.split(',');
      expect(names).not.toContain('RUNNER_EMULATOR_CANARY');
      expect(names).toEqual(
        expect.arrayContaining([
          'HTTPS_PROXY',
          'NO_PROXY',
          'PATH',
          'GITHUB_ACTIONS',
          'CI',
          'RUNNER_TEMP',
          'GITHUB_ACTION_PATH',
          'GITHUB_EVENT_PATH',
        ]),
      );
      expect(names).not.toContain('HTTP_PROXY');
      expect(result.processEnv['RUNNER_OS']).toBe('Linux');
      expect(result.processEnv['GITHUB_RUN_ATTEMPT']).toBe('1');
      expect(result.processEnv['GITHUB_EVENT_NAME']).toBe('schedule');
    } finally {
      delete process.env['RUNNER_EMULATOR_CANARY'];
    }
  });

  it('rejects inputs action.yml does not declare unless allowed', async () => {
    await expect(runStep({ actionDir, inputs: { 'some-name': SECRET, typo: 'x' } })).rejects.toThrow(/Unexpected input\(s\) 'typo'/);
    const result = await runStep({ actionDir, inputs: { 'some-name': SECRET, typo: 'x' }, allowUndeclaredInputs: true });
    expect(JSON.parse(result.outputs['inputs']!)['INPUT_TYPO']).toBe('x');
    expect(result.runnerWarnings[0]).toMatch(/Unexpected input/);
  });

  it('parses outputs, state, env, path and summary in both formats', async () => {
    const result = await runStep({ actionDir, inputs: { 'some-name': SECRET } });
    expect(result.outputs['multi']).toBe('a\nb\n');
    expect(result.outputs['plain']).toBe('x=y');
    expect(result.state).toEqual({ keyId: 'k-123', expiresAt: '2026-12-01T00:00:00Z' });
    expect(result.env).toEqual({ EXPORTED: 'from main' });
    expect(result.path).toEqual(['/opt/fake-tool/bin']);
    expect(result.summary).toBe('# Summary\n\n| a | b |\n');
    expect(result.files.output).toMatch(/^multi<<ghadelimiter_/);
    expect(result.fileErrors).toEqual([]);
  });

  it('parses workflow commands and un-escapes messages and properties', async () => {
    const result = await runStep({ actionDir, inputs: { 'some-name': SECRET } });
    expect(result.commands.map((c) => c.command)).toEqual(['add-mask', 'group', 'warning', 'endgroup']);
    const warning = result.commands[2]!;
    expect(warning).toMatchObject({
      command: 'warning',
      properties: { title: 'Heads up: a,b', file: 'src/x.ts' },
      message: 'line1\nline2 100%',
      stream: 'stdout',
    });
    expect(result.stdout).toContain('::warning title=Heads up%3A a%2Cb,file=src/x.ts::line1%0Aline2 100%25');
    expect(parseWorkflowCommand('  ::debug::a%250A')).toEqual({ command: 'debug', properties: {}, message: 'a%0A' });
    expect(parseWorkflowCommand('no command here')).toBeNull();
  });

  it('masks the way the runner renders the log, from the add-mask on', async () => {
    const result = await runStep({ actionDir, inputs: { 'some-name': SECRET, behaviour: 'ok' }, env: {} });
    expect(result.masks).toEqual([SECRET]);
    const log = maskedLog(result);
    expect(log).not.toContain(SECRET);
    expect(log).toContain('using ***');
    expect(log).toContain('stderr ***');
    expect(log).toContain('##[group]Target acme/web');
    expect(log).toContain('##[warning]line1\nline2 100%');
    expect(log).not.toContain('add-mask');
    expect(isMaskedBeforeUse(result, SECRET)).toBe(true);
    expect(maskIndexOf(result, SECRET)).toBeLessThan(firstIndexOf(result, SECRET));
    // Base64 of a masked value is masked too (the runner's value encoders).
    const b64 = { stream: 'stdout' as const, text: `Basic ${Buffer.from(`u:${SECRET}`).toString('base64')}` };
    expect(maskedLog({ ...result, initialMasks: [SECRET], lines: [b64] })).toMatch(/^Basic [A-Za-z0-9+/]{0,4}\*\*\*/);
  });

  it('shows a value printed before its add-mask, as a real runner does', async () => {
    const early = 'early-secret-value-1234';
    const result = await runStep({
      actionDir,
      inputs: { 'some-name': early, behaviour: 'ok' },
      env: { INPUT_EARLY: early },
    });
    expect(firstIndexOf(result, early)).toBe(0);
    expect(maskIndexOf(result, early)).toBe(1);
    expect(isMaskedBeforeUse(result, early)).toBe(false);
    expect(maskedLog(result)).toContain(`early ${early}`);
    // Masks given up front (secrets.*) apply from the first line.
    const preMasked = await runStep({ actionDir, inputs: { 'some-name': early }, env: { INPUT_EARLY: early }, masks: [early] });
    expect(isMaskedBeforeUse(preMasked, early)).toBe(true);
    expect(maskedLog(preMasked)).not.toContain(early);
  });

  it('reports a non-zero exit code', async () => {
    const result = await runStep({ actionDir, inputs: { 'some-name': SECRET, behaviour: 'fail' } });
    expect(result.exitCode).toBe(3);
    expect(result.failed).toBe(true);
    expect(result.timedOut).toBe(false);
    expect(result.commands.at(-1)).toMatchObject({ command: 'error', message: 'boom' });
  });

  it('kills a step that runs past its timeout', async () => {
    const result = await runStep({ actionDir, inputs: { 'some-name': SECRET, behaviour: 'hang' }, timeoutMs: 300 });
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe('SIGKILL');
    expect(result.exitCode).toBeNull();
    expect(result.failed).toBe(true);
    // Whatever the step printed before the kill is kept; how much that is depends on how fast Node started.
    expect('hanging\n'.startsWith(result.stdout)).toBe(true);
  });

  it('runs the post entry with STATE_* when asked', async () => {
    const result = await runStep({ actionDir, entry: 'post', inputs: { 'some-name': SECRET }, state: { keyId: 'given' } });
    expect(JSON.parse(result.outputs['seen']!).keyId).toBe('given');
  });
});

describe('runJob', () => {
  it('runs post with the state main saved, its exported env, path and masks', async () => {
    const { main, post } = await runJob({ actionDir, inputs: { 'some-name': SECRET } });
    expect(main.exitCode).toBe(0);
    expect(post).toBeDefined();
    const seen = JSON.parse(post!.outputs['seen']!);
    expect(seen).toMatchObject({ keyId: 'k-123', expiresAt: '2026-12-01T00:00:00Z', exported: 'from main' });
    expect(seen.path.split(path.delimiter)[0]).toBe('/opt/fake-tool/bin');
    expect(post!.processEnv['GITHUB_WORKSPACE']).toBe(main.processEnv['GITHUB_WORKSPACE']);
    expect(maskedLog(post!)).toBe('post sees k-123 and ***');
  });

  it('runs post even when main failed', async () => {
    const { main, post } = await runJob({ actionDir, inputs: { 'some-name': SECRET, behaviour: 'fail' } });
    expect(main.exitCode).toBe(3);
    expect(post?.exitCode).toBe(0);
  });
});

describe('with the real @actions/core', () => {
  it('round-trips inputs, masking, outputs, state, env and the summary', async () => {
    const core = pathToFileURL(path.join(repoRoot, 'node_modules/@actions/core/lib/core.js')).href;
    const dir = await mkdtemp(path.join(tmpdir(), 'toolkit-action-'));
    try {
      await writeFile(
        path.join(dir, 'action.yml'),
        'inputs:\n  admin-api-key:\n    required: true\n  repositories:\n    default: ${{ github.repository }}\nruns:\n  using: node24\n  main: main.mjs\n  post: post.mjs\n',
      );
      await writeFile(
        path.join(dir, 'main.mjs'),
        `import * as core from ${JSON.stringify(core)};
const key = core.getInput('admin-api-key', { required: true });
core.setSecret(key);
core.info('key is ' + key);
await core.group('Target ' + core.getInput('repositories'), async () => core.warning('careful: a, b'));
core.setOutput('api-key', key);
core.setOutput('multi', 'x\\ny');
core.saveState('keyId', 'k-9');
core.exportVariable('KUBIYA_API_KEY', key);
await core.summary.addHeading('Rotated').write();
`,
      );
      await writeFile(
        path.join(dir, 'post.mjs'),
        `import * as core from ${JSON.stringify(core)};
core.info('revoking ' + core.getState('keyId'));
if (process.env.KUBIYA_API_KEY) core.info('env has ' + process.env.KUBIYA_API_KEY);
`,
      );
      const { main, post } = await runJob({ actionDir: dir, inputs: { 'admin-api-key': SECRET } });
      expect(main.exitCode).toBe(0);
      expect(main.masks).toEqual([SECRET]);
      expect(isMaskedBeforeUse(main, SECRET)).toBe(true);
      expect(main.outputs).toEqual({ 'api-key': SECRET, multi: 'x\ny' });
      expect(main.state).toEqual({ keyId: 'k-9' });
      expect(main.env).toEqual({ KUBIYA_API_KEY: SECRET });
      expect(main.summary).toContain('<h1>Rotated</h1>');
      expect(main.commands.map((c) => [c.command, c.message])).toEqual([
        ['add-mask', SECRET],
        ['group', 'Target acme/web'],
        ['warning', 'careful: a, b'],
        ['endgroup', ''],
      ]);
      expect(maskedLog(main)).toBe('key is ***\n##[group]Target acme/web\n##[warning]careful: a, b\n##[endgroup]');
      expect(maskedLog(post!)).toBe('revoking k-9\nenv has ***');
      const leaks = scanForLeaks({
        secrets: [SECRET],
        artifacts: stepArtifacts(main, { allow: ['output:api-key', 'env:KUBIYA_API_KEY'] }),
      });
      expect(leaks.map((l) => l.artifact)).toEqual(['stdout']); // 'key is <key>' relies on masking
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('file command parsing', () => {
  it('accepts both forms and rejects a missing delimiter', () => {
    expect(parseFileCommand('a=1\nb<<EOF\nx\r\ny\nEOF\n\nc=\n')).toEqual([
      { name: 'a', value: '1' },
      { name: 'b', value: 'x\ny', delimiter: 'EOF' },
      { name: 'c', value: '' },
    ]);
    expect(() => parseFileCommand('b<<EOF\nx\n')).toThrow(/Matching delimiter not found 'EOF'/);
    expect(() => parseFileCommand('novalue\n')).toThrow(/Invalid format/);
  });
});

describe('leak scanner', () => {
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjaS1rZXkiLCJpZCI6IjQyIn0.c2lnbmF0dXJlLXBhcnQtaGVyZQ';
  const odd = '???kub/s3cr3t+with "quotes" & spaces>>>';

  it('finds raw secrets and JWT parts', () => {
    const findings = scanForLeaks({
      secrets: [jwt],
      artifacts: {
        log: `token=${jwt}`,
        payload: 'claims: eyJzdWIiOiJjaS1rZXkiLCJpZCI6IjQyIn0 end',
        signature: 'sig=c2lnbmF0dXJlLXBhcnQtaGVyZQ',
        clean: 'nothing to see',
      },
    });
    expect(findings.map((f) => [f.artifact, f.form, f.offset])).toEqual([
      ['log', 'raw', 6],
      ['payload', 'jwt-payload', 8],
      ['signature', 'jwt-signature', 4],
    ]);
  });

  it('finds Base64 (any alignment), base64url, URL-encoded and JSON-escaped forms', () => {
    const basic = Buffer.from(`x-access-token:${odd}`).toString('base64');
    const findings = scanForLeaks({
      secrets: [odd],
      artifacts: {
        b64: `Authorization: Basic ${basic}`,
        b64url: Buffer.from(odd).toString('base64url'),
        url: `https://x/?q=${encodeURIComponent(odd)}`,
        json: JSON.stringify({ key: odd }),
      },
    });
    // Where base64 and base64url spell the secret alike, the finding says 'base64'.
    const b64url = Buffer.from(odd).toString('base64url');
    expect(b64url).not.toBe(Buffer.from(odd).toString('base64'));
    expect(findings.map((f) => [f.artifact, f.form])).toEqual([
      ['b64', 'base64'],
      ['b64url', 'base64url'],
      ['json', 'json-escaped'],
      ['url', 'url-encoded'],
    ]);
  });

  it('finds the Base64 of a secret at every byte alignment', () => {
    for (const prefix of ['u:', 'us:', 'usr:']) {
      const blob = Buffer.from(prefix + jwt + '\n').toString('base64');
      const findings = scanForLeaks({ secrets: [jwt], artifacts: { blob } });
      expect(
        findings.map((f) => f.form),
        prefix,
      ).toEqual(['base64']);
    }
  });

  it('refuses secrets too short to scan for', () => {
    expect(() => scanForLeaks({ secrets: ['short'], artifacts: {} })).toThrow(/test bug/);
  });

  it('builds step artifacts and honours the allow list', async () => {
    const result = await runStep({ actionDir, inputs: { 'some-name': SECRET, behaviour: 'mint' } });
    const all = stepArtifacts(result);
    expect(Object.keys(all)).toEqual(
      expect.arrayContaining(['stdout', 'stderr', 'output:api-key', 'env:KUBIYA_API_KEY', 'state:keyId', 'summary']),
    );
    // The add-mask line carries the secret by design and is not an artifact.
    expect(all['stdout']).toBe('::add-mask::<removed>');
    expect(
      scanForLeaks({ secrets: [SECRET], artifacts: all })
        .map((f) => f.artifact)
        .sort(),
    ).toEqual(['env:KUBIYA_API_KEY', 'output:api-key']);
    const allowed = stepArtifacts(result, { allow: ['output:api-key', 'env:KUBIYA_API_KEY'] });
    expect(() => assertNoLeaks([SECRET], allowed)).not.toThrow();
    expect(() => assertNoLeaks([SECRET], all)).toThrow(/<secret#0>/);
    try {
      assertNoLeaks([SECRET], all);
    } catch (err) {
      expect((err as Error).message).not.toContain(SECRET);
    }
  });

  it('turns an emulator request log into artifacts', () => {
    const artifacts = emulatorArtifacts([
      {
        method: 'GET',
        path: '/api/v1/users/self',
        query: new URLSearchParams({ a: 'b c' }),
        headers: { Authorization: `UserKey ${SECRET}` },
      },
      {
        seq: 7,
        method: 'PUT',
        path: '/repos/a/b/actions/secrets/X',
        headers: { 'content-type': 'application/json' },
        body: { encrypted_value: 'zzz' },
      },
    ]);
    expect(artifacts).toEqual({
      'request:1:path': '/api/v1/users/self?a=b+c',
      'request:1:header:authorization': `UserKey ${SECRET}`,
      'request:7:path': '/repos/a/b/actions/secrets/X',
      'request:7:header:content-type': 'application/json',
      'request:7:body': '{"encrypted_value":"zzz"}',
    });
    const { 'request:1:header:authorization': _allowed, ...rest } = artifacts;
    expect(scanForLeaks({ secrets: [SECRET], artifacts: rest })).toEqual([]);
  });
});
