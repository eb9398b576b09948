import { describe, expect, it } from 'vitest';
import { InputError, parseRepositories } from '../../src/inputs.ts';
import * as audit from '../../src/modes/audit.ts';
import * as rotate from '../../src/modes/rotate.ts';
import { parseConfig } from '../parse-config.ts';

const ENV = {
  GITHUB_REPOSITORY: 'Acme/Web',
  GITHUB_RUN_ID: '9876543210',
  GITHUB_RUN_ATTEMPT: '1',
  GITHUB_SERVER_URL: 'https://github.com',
};
const BASE: Record<string, string> = { 'admin-api-key': 'admin-key-value', 'github-token': 'ghp_token_value' };

function parse(inputs: Record<string, string>, env: Record<string, string> = ENV) {
  const all = { ...BASE, ...inputs };
  return parseConfig((name) => all[name] ?? '', env);
}

/** Rotate mode's config (the targets are parsed the same way in every mode that has them). */
function parseRotate(inputs: Record<string, string>): rotate.RotateConfig {
  const all = { ...BASE, ...inputs };
  return rotate.parse((name) => all[name] ?? '', ENV);
}

function parseAudit(inputs: Record<string, string>): audit.AuditConfig {
  const all: Record<string, string> = { ...BASE, mode: 'audit', ...inputs };
  return audit.parse((name) => all[name] ?? '', ENV);
}

function inputError(inputs: Record<string, string>, env?: Record<string, string>): string {
  try {
    parse(inputs, env);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as Error).message;
  }
  throw new Error('expected an input error');
}

describe('parseConfig', () => {
  it('applies the documented defaults', () => {
    const config = parseRotate({});
    expect(config).toMatchObject({
      mode: 'rotate',
      kubiyaApiUrl: 'https://api.kubiya.ai',
      githubApiUrl: 'https://api.github.com',
      secretName: 'KUBIYA_API_KEY',
      keyNamePrefix: 'gha',
      ttlMs: 30 * 86_400_000,
      gracePeriodMs: 0,
      revokePrevious: true,
      verify: true,
      dryRun: false,
    });
    expect(config.slots.map((slot) => slot.target)).toEqual(['acme/web']);
    expect(config.run).toMatchObject({ repository: 'acme/web', runId: '9876543210', runAttempt: '1' });
  });

  it('names forks and Dependabot when the admin key is empty', () => {
    const message = inputError({ 'admin-api-key': '' });
    expect(message).toMatch(/'admin-api-key'/);
    expect(message).toMatch(/forks/);
    expect(message).toMatch(/Dependabot/);
  });

  it('requires a github-token for rotate, except in a dry-run', () => {
    expect(inputError({ 'github-token': '' })).toMatch(/'github-token'.*GITHUB_TOKEN cannot write secrets/);
    expect(parseRotate({ 'github-token': '', 'dry-run': 'true' }).dryRun).toBe(true);
  });

  it.each([
    ['mode', 'rotation', /'mode' must be one of rotate/],
    ['ttl', '4m', /'ttl' is out of range.*at least 5m, at most 365d/],
    ['ttl', '366d', /'ttl' is out of range/],
    ['ttl', 'forever', /'ttl' is not a duration/],
    ['grace-period', '1y', /'grace-period' is not a duration/],
    ['grace-period', '400d', /'grace-period' is out of range/],
    ['verify', 'yes', /'verify' must be true or false \(got 'yes'\)/],
    ['dry-run', 'on', /'dry-run' must be true or false/],
    ['revoke-previous', '1', /'revoke-previous' must be true or false/],
    ['secret-name', 'GITHUB_KEY', /'secret-name' is not a valid GitHub secret name/],
    ['secret-name', '1KEY', /'secret-name'/],
    ['secret-name', 'MY-KEY', /'secret-name'/],
    ['key-name-prefix', 'a:b', /'key-name-prefix'/],
    ['repositories', 'acme/web/extra', /'repositories' has an entry.*acme\/web\/extra/],
    ['repositories', 'acme/..', /'repositories'/],
    ['repositories', ' , ', /'repositories' names no repository/],
    ['kubiya-api-url', 'http://api.kubiya.ai', /'kubiya-api-url' must be an https:\/\/ URL/],
    ['kubiya-api-url', 'not a url', /'kubiya-api-url' is not a URL/],
    ['github-api-url', 'http://10.0.0.1/api/v3', /'github-api-url' must be an https:\/\/ URL/],
    ['kubiya-api-url', 'https://user:pass@api.kubiya.ai', /without credentials/],
  ])('rejects %s=%j naming the input', (name, value, message) => {
    expect(inputError({ [name]: value })).toMatch(message);
  });

  it('accepts the boolean forms core.getBooleanInput accepts', () => {
    for (const value of ['true', 'True', 'TRUE']) expect(parseRotate({ verify: value }).verify).toBe(true);
    for (const value of ['false', 'False', 'FALSE']) expect(parseRotate({ verify: value }).verify).toBe(false);
  });

  it('accepts loopback http URLs for local testing and strips trailing slashes', () => {
    expect(parseRotate({ 'kubiya-api-url': 'http://127.0.0.1:8080/' }).kubiyaApiUrl).toBe('http://127.0.0.1:8080');
    expect(parseRotate({ 'github-api-url': 'http://localhost:3000/api/v3/' }).githubApiUrl).toBe('http://localhost:3000/api/v3');
    expect(parseRotate({ 'github-api-url': 'http://[::1]:3000' }).githubApiUrl).toBe('http://[::1]:3000');
  });

  it('upper-cases the secret name, as GitHub stores it', () => {
    expect(parseRotate({ 'secret-name': 'kubiya_key' }).secretName).toBe('KUBIYA_KEY');
  });

  it('refuses to run outside a workflow run', () => {
    expect(inputError({}, { GITHUB_REPOSITORY: 'acme/web' })).toMatch(/GITHUB_RUN_ID/);
  });
});

describe('parseRepositories', () => {
  it('splits on newlines and commas, resolves bare names to the current owner, lower-cases and de-duplicates', () => {
    expect(parseRepositories('web\nAcme/API, other/tool ,\n\nacme/web', 'acme/admin')).toEqual([
      { owner: 'acme', repo: 'web' },
      { owner: 'acme', repo: 'api' },
      { owner: 'other', repo: 'tool' },
    ]);
  });
});

describe('targets', () => {
  const targets = (inputs: Record<string, string>) => parseRotate(inputs).slots.map((slot) => [slot.kind, slot.target, slot.scope]);

  it('makes one environment slot per repository', () => {
    expect(targets({ environment: 'prod/eu west', repositories: 'web, api' })).toEqual([
      ['environment', 'acme/web@prod/eu west', 'acme/web@prod/eu west'],
      ['environment', 'acme/api@prod/eu west', 'acme/api@prod/eu west'],
    ]);
  });

  it('makes Dependabot slots scoped apart from the Actions secret of the same name', () => {
    expect(targets({ 'secret-type': 'dependabot' })).toEqual([['dependabot', 'acme/web', 'acme/web/dependabot']]);
  });

  it('makes one organization slot, with the repositories as the selected ones on create', () => {
    const [slot] = parseRotate({ organization: 'Acme', 'org-secret-visibility': 'selected', repositories: 'web, tools' }).slots;
    expect(slot).toMatchObject({ kind: 'organization', target: 'org:acme', scope: 'org:acme', org: 'acme', secretType: 'actions' });
    expect(slot).toMatchObject({ visibilityOnCreate: 'selected', selectedOnCreate: ['acme/web', 'acme/tools'] });
    expect(parseRotate({ organization: 'acme', 'secret-type': 'dependabot' }).slots[0]!.scope).toBe('org:acme/dependabot');
  });

  it.each([
    [{ environment: 'prod', organization: 'acme' }, /'environment' and 'organization' cannot be combined/],
    [{ environment: 'prod', 'secret-type': 'dependabot' }, /'environment' and 'secret-type: dependabot' cannot be combined/],
    [{ 'secret-type': 'codespaces' }, /'secret-type' must be one of actions, dependabot/],
    [{ organization: 'acme', 'org-secret-visibility': 'public' }, /'org-secret-visibility' must be one of all, private, selected/],
    [
      { organization: 'acme', 'org-secret-visibility': 'selected', repositories: 'other/web' },
      /other\/web, which is not in organization 'acme'/,
    ],
    [{ organization: '-acme' }, /'organization' is not a GitHub organization name/],
    [{ environment: 'prod\nx' }, /'environment' must be a GitHub environment name/],
    [{ mode: 'mint', environment: 'prod' }, /Mode 'mint' writes no secret/],
  ])('rejects %j', (inputs, message) => {
    expect(inputError(inputs)).toMatch(message);
  });
});

describe('parseConfig, mode audit', () => {
  it('needs no github-token and reads warn-before and fail-on', () => {
    const config = parseAudit({ 'github-token': '', 'warn-before': '3d', 'fail-on': 'expired, lingering' });
    expect(config).toMatchObject({ mode: 'audit', githubToken: '', warnBeforeMs: 3 * 86_400_000, failOn: ['expired', 'lingering'] });
    expect(config.slots !== 'all' && config.slots.map((slot) => slot.target)).toEqual(['acme/web']);
    expect(parseAudit({})).toMatchObject({ warnBeforeMs: 7 * 86_400_000, failOn: [] });
  });

  it("takes repositories: '*' as every managed slot, and only in audit mode", () => {
    expect(parseAudit({ repositories: '*' })).toMatchObject({ slots: 'all' });
    expect(inputError({ repositories: '*' })).toMatch(/accepted only by mode 'audit'/);
    expect(inputError({ mode: 'audit', repositories: '*', environment: 'production' })).toMatch(/remove 'environment'/);
  });

  it('names the accepted finding kinds when fail-on has an unknown one, and checks warn-before like ttl', () => {
    expect(inputError({ mode: 'audit', 'fail-on': 'expired,stale' })).toBe(
      "Input 'fail-on' names unknown finding kind(s) 'stale': use a comma-separated list of expired, expiring, lingering, " +
        'orphan-job-key, target-missing, not-written, admin-key-expiring, github-token-expiring, gitlab-token-expiring, or leave ' +
        'it empty to never fail on findings.',
    );
    expect(parse({ mode: 'audit', 'fail-on': 'admin-key-expiring,github-token-expiring' })).toMatchObject({
      failOn: ['admin-key-expiring', 'github-token-expiring'],
    });
    expect(inputError({ mode: 'audit', 'warn-before': 'soon' })).toMatch(/^Input 'warn-before' is not a duration/);
  });
});
