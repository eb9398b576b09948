// GitLab slots from the inputs (the store input chooses them), their key names, and the run a GitLab job names.
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/inputs.ts';
import { gitLabGroupSlot, gitLabProjectSlot, managedKeyName, parseManagedKeyName, type Run } from '../../src/slots.ts';
import { parseConfig } from '../parse-config.ts';

const JOB = {
  GITLAB_CI: 'true',
  CI_PIPELINE_ID: '1234',
  CI_JOB_ID: '5678',
  CI_PROJECT_PATH: 'Acme/Web',
  CI_PIPELINE_URL: 'https://gitlab.com/acme/web/-/pipelines/1234',
};

function parse(inputs: Record<string, string>, env: NodeJS.ProcessEnv = JOB) {
  const all: Record<string, string> = {
    'admin-api-key': 'admin',
    store: 'gitlab',
    'gitlab-token': 'glpat-1',
    projects: 'acme/web',
    ...inputs,
  };
  return parseConfig((name) => all[name] ?? '', env);
}

describe('GitLab slots', () => {
  it('names keys as the contract shows: project, environment scope, group; prefix gl', () => {
    const run: Run = { repository: 'acme/web', runId: '1234', runAttempt: '5678', serverUrl: '', job: '' };
    const names = [
      managedKeyName(gitLabProjectSlot('GitLab.com', 'Acme/Web', '*', 'KUBIYA_API_KEY'), 'gl', run),
      managedKeyName(gitLabProjectSlot('gitlab.com', 'acme/web', 'production', 'KUBIYA_API_KEY'), 'gl', run),
      managedKeyName(gitLabGroupSlot('gitlab.com', 'acme', 'KUBIYA_API_KEY'), 'gl', run),
    ];
    expect(names).toEqual([
      'gl:gitlab.com/acme/web:KUBIYA_API_KEY:run-1234-5678',
      'gl:gitlab.com/acme/web@production:KUBIYA_API_KEY:run-1234-5678',
      'gl:group:gitlab.com/acme:KUBIYA_API_KEY:run-1234-5678',
    ]);
    for (const name of names) {
      const parsed = parseManagedKeyName(name)!;
      expect(managedKeyName(parsed.slot, parsed.prefix, { ...run, runId: parsed.runId, runAttempt: parsed.runAttempt })).toBe(name);
    }
    expect(parseManagedKeyName('gha:acme/web:KUBIYA_API_KEY:run-1-2')?.slot.kind).toBe('repository');
  });

  it('parses a GitLab job: the run from CI_PIPELINE_ID and CI_JOB_ID, the host from gitlab-url, the prefix gl', () => {
    const config = parse({ 'gitlab-url': 'https://GitLab.example.com:8443', environment: 'production' });
    expect(config).toMatchObject({
      keyNamePrefix: 'gl',
      store: 'gitlab',
      run: { runId: '1234', runAttempt: '5678', url: JOB.CI_PIPELINE_URL },
      gitlab: { apiUrl: 'https://gitlab.example.com:8443/api/v4', protectedOnCreate: true, hiddenOnCreate: false },
    });
    expect(config.mode === 'rotate' && config.slots.map((slot) => slot.target)).toEqual(['gitlab.example.com/acme/web@production']);
  });

  it.each([
    [{ group: 'acme', projects: 'acme/web' }, /'group' and 'projects' cannot be combined/],
    [{ group: 'acme', projects: '', environment: 'production' }, /'group' and 'environment' cannot be combined/],
    [{ 'secret-name': 'kubiya_key' }, /not one this store writes/],
    [{ 'gitlab-url': 'http://gitlab.example.com' }, /'gitlab-url' must be an https:\/\/ URL/],
    [{ projects: 'web' }, /not a GitLab project path or id/],
    [{ 'gitlab-token': '' }, /'gitlab-token' is required by mode 'rotate'/],
  ])('refuses %o before any request', (inputs, message) => {
    expect(() => parse(inputs)).toThrow(InputError);
    expect(() => parse(inputs)).toThrow(message);
  });
});
