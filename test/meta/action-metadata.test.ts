// action.yml against the action metadata schema (test/meta/action-metadata.schema.json, written from GitHub's
// metadata syntax reference; it requires a description for every input and output), and this action's own
// conventions: node24, the dist/ entry points, kebab-case input names. The README's tables are
// readme-tables.test.ts's.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import type { ErrorObject } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../parse-config.ts';
import { readActionMetadata, readText, repoRoot } from './project-files.ts';

const schema = JSON.parse(readText('test/meta/action-metadata.schema.json')) as object;
const validate = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true }).compile(schema);
const action = readActionMetadata();

function schemaErrors(metadata: unknown): string[] {
  if (validate(metadata)) return [];
  return (validate.errors ?? []).map(
    (error: ErrorObject) => `${error.instancePath || '/'} ${error.message ?? ''} ${JSON.stringify(error.params)}`,
  );
}

/** action.yml with one change, for the schema's negative controls. */
function modified(pattern: RegExp, replacement: string): unknown {
  const source = readText('action.yml');
  const changed = source.replace(pattern, replacement);
  expect(changed, `${pattern} matches action.yml`).not.toBe(source);
  return parse(changed);
}

describe('action.yml', () => {
  it('is valid action metadata', () => {
    expect(schemaErrors(action)).toEqual([]);
  });

  it.each([
    ['a runtime GitHub no longer runs', /^  using: node24$/m, '  using: node16'],
    ['a misspelt input key', /^    default: rotate$/m, '    defualt: rotate'],
    ['an input without a description', /^(  ttl:\n)    description:/m, '$1    summary:'],
    ['an input id with a space', /^  secret-name:$/m, '  secret name:'],
    ['a JavaScript action output with a value', /^(outputs:\n  [\w-]+:\n)/m, '$1    value: ${{ steps.x.outputs.y }}\n'],
    ['a branding colour GitHub does not offer', /^  color: \S+$/m, '  color: pink'],
    ['an omitted Feather icon', /^  icon: \S+$/m, '  icon: key'],
    ['an unknown top-level key', /^outputs:$/m, 'output: {}\noutputs:'],
    ['no main entry', /^  main: .*\n/m, ''],
  ] as const)('the schema rejects %s', (_what, pattern, replacement) => {
    expect(schemaErrors(modified(pattern, replacement))).not.toEqual([]);
  });

  it('runs on node24 from dist/index.js, with the post step in dist/post.js', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js', post: 'dist/post.js' });
    expect(existsSync(path.join(repoRoot, 'dist/index.js'))).toBe(true);
    expect(existsSync(path.join(repoRoot, 'dist/post.js'))).toBe(true);
  });

  it('gives string defaults, no default to a required input, and names inputs in lower-case kebab-case', () => {
    for (const [name, input] of Object.entries(action.inputs)) {
      expect(name).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
      if ('default' in input) expect(typeof input.default, name).toBe('string');
      if (input.required === true) expect(input, `${name} is required, so it has no default`).not.toHaveProperty('default');
    }
  });
});

describe('input defaults', () => {
  // The runner hands the action action.yml's defaults; each mode's parser falls back to the same values when an input is
  // empty (unit tests, local runs). This keeps the two from drifting apart. export-env is the exception by
  // design: '' means "export none", so only action.yml can default it.
  it('are the values parseConfig assumes for an empty input, for every literal default in action.yml', async () => {
    const env = { GITHUB_REPOSITORY: 'acme/web', GITHUB_RUN_ID: '1', GITHUB_RUN_ATTEMPT: '1', GITHUB_JOB: 'deploy' };
    const literal = Object.entries(readActionMetadata().inputs).filter(
      ([name, input]) =>
        name !== 'export-env' && typeof input.default === 'string' && input.default !== '' && !input.default.includes('${{'),
    );
    expect(literal.length).toBeGreaterThan(5);
    for (const mode of ['', 'mint', 'revoke', 'check']) {
      const base: Record<string, string> = { mode, 'admin-api-key': 'admin', 'github-token': 'token', 'api-key': 'key' };
      const empty = parseConfig((name) => base[name] ?? '', env);
      for (const [name, input] of literal) {
        if (mode !== '' && name === 'mode') continue;
        const given = parseConfig((key) => (key === name ? String(input.default) : (base[key] ?? '')), env);
        expect(given, `${mode}: ${name}: ${String(input.default)}`).toEqual(empty);
      }
    }
  });
});
