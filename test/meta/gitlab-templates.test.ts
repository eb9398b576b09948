// The GitLab CI templates users include: valid YAML, the job the contract describes, and a command line the
// command accepts once GitLab has expanded the template's variables.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseCommandLine } from '../../src/cli/args.ts';
import { repoRoot } from '../sandbox/action-metadata.ts';

interface Template {
  variables: Record<string, string>;
  [job: string]: unknown;
}

function template(name: string): { variables: Record<string, string>; job: Record<string, unknown> } {
  const yaml = parse(readFileSync(path.join(repoRoot, 'templates/gitlab', name), 'utf8')) as Template;
  const jobName = Object.keys(yaml).find((key) => key !== 'variables')!;
  return { variables: yaml.variables, job: yaml[jobName] as Record<string, unknown> };
}

/** The script line as GitLab's shell runs it: variables expanded, quotes removed. */
function argv(line: string, variables: Record<string, string>): string[] {
  const expanded = line.replace(/"\$([A-Z_]+)"/g, (_, name: string) => JSON.stringify(variables[name] ?? ''));
  const words = [...expanded.matchAll(/"([^"]*)"|(\S+)/g)].map((match) => match[1] ?? match[2]!);
  expect(words.slice(0, 3)).toEqual(['npx', '--yes', 'kubiya-api-key-action@1']);
  return words.slice(3);
}

describe('templates/gitlab', () => {
  it('rotate: scheduled and manual, node:24, one rotation per project at a time, options the command accepts', () => {
    const { variables, job } = template('rotate-kubiya-api-key.yml');
    expect(job['image']).toBe('node:24');
    expect(job['resource_group']).toBeTruthy();
    expect(JSON.stringify(job['rules'])).toContain('$CI_PIPELINE_SOURCE == \\"schedule\\"');
    const [line] = job['script'] as string[];
    const command = parseCommandLine(argv(line!, variables), { GITLAB_CI: 'true', CI_PROJECT_PATH: 'acme/web' });
    expect(command.mode).toBe('rotate');
    expect(command.inputs.get('store')).toBe('gitlab');
    expect(command.inputs.get('ttl')).toBe('30d');
  });

  it('check: allowed to fail with exit code 3 only ("passed with warnings")', () => {
    const { job } = template('check-kubiya-api-key.yml');
    expect(job['image']).toBe('node:24');
    expect(job['allow_failure']).toEqual({ exit_codes: [3] });
  });
});
