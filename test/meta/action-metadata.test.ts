// action.yml against the action metadata schema (test/meta/action-metadata.schema.json, written from GitHub's
// metadata syntax reference), and this action's own conventions: node24, the dist/ entry points, a
// description for every input and output, branding, and a README that documents exactly these inputs.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import type { ErrorObject } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
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

/** Names in the first column of the README table that follows `## <heading>`. */
function readmeTableNames(heading: string): string[] {
  const readme = readText('README.md');
  const start = readme.indexOf(`\n## ${heading}\n`);
  expect(start, `README has a '## ${heading}' section`).toBeGreaterThan(-1);
  const section = readme.slice(start + 1).split(/\n## /)[0]!;
  return [...section.matchAll(/^\| `([a-z0-9-]+)` +\|/gm)].map((match) => match[1]!);
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

  it('describes every input, gives string defaults, and names inputs in lower-case kebab-case', () => {
    for (const [name, input] of Object.entries(action.inputs)) {
      expect(name).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
      expect(input.description?.trim(), name).toBeTruthy();
      if ('default' in input) expect(typeof input.default, name).toBe('string');
      if (input.required === true) expect(input, `${name} is required, so it has no default`).not.toHaveProperty('default');
    }
  });

  it('describes every output', () => {
    for (const [name, output] of Object.entries(action.outputs)) expect(output.description?.trim(), name).toBeTruthy();
  });

  it('has a name, a description, an author and branding', () => {
    expect(action.name.trim()).not.toBe('');
    expect(action.description.trim()).not.toBe('');
    expect(action.author).toBe('Kubiya');
    expect(action.branding).toEqual({ icon: expect.any(String), color: expect.any(String) });
  });

  it("has the README's Inputs and Outputs tables list exactly its inputs and outputs", () => {
    expect(readmeTableNames('Inputs').sort()).toEqual(Object.keys(action.inputs).sort());
    expect(readmeTableNames('Outputs').sort()).toEqual(Object.keys(action.outputs).sort());
  });
});
