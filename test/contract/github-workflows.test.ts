// The workflows client (src/github/workflows.ts) against the GitHub emulator: a workflow's state, its latest run,
// enabling it, and each refusal as one line naming what to do.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitHubWorkflows } from '../../src/github/workflows.ts';
import { DEFAULT_RETRY } from '../../src/retry.ts';
import { ServiceError } from '../../src/service-error.ts';
import { startGitHubEmulator, type GitHubEmulator } from '../sandbox/github-emulator.ts';
import { refusedUrl } from '../sandbox/http-emulator.ts';

const FILE = 'rotate-kubiya-key.yml';
let github: GitHubEmulator;

function workflows(token: string, repository = 'acme/web', baseUrl = github.url): GitHubWorkflows {
  return new GitHubWorkflows({
    token,
    repository,
    baseUrl,
    timeoutMs: 2_000,
    retry: { ...DEFAULT_RETRY, baseMs: 5 },
    userAgent: 'contract-test',
  });
}

function token(actions: 'read' | 'write' | 'none'): string {
  const value = `ghs_contract_${actions}_${Math.random().toString(36).slice(2)}`;
  github.addToken(value, { kind: 'github-token', actions });
  return value;
}

async function refusal(promise: Promise<unknown>): Promise<ServiceError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ServiceError);
  return error as ServiceError;
}

beforeEach(async () => {
  github = await startGitHubEmulator();
  github.addRepo('acme/web');
});
afterEach(() => github.close());

describe('GitHubWorkflows', () => {
  it('reads a workflow state and its latest run with a job token granted actions: read', async () => {
    github.addWorkflow('acme/web', FILE, { state: 'disabled_inactivity', name: 'Rotate Kubiya API key' });
    github.addWorkflowRun('acme/web', FILE, { conclusion: 'success', createdAt: new Date(Date.now() - 86_400_000) });
    const failed = github.addWorkflowRun('acme/web', FILE, { conclusion: 'failure' });
    const client = workflows(token('read'));

    expect(await client.workflow(FILE)).toMatchObject({ name: 'Rotate Kubiya API key', state: 'disabled_inactivity' });
    const run = await client.latestRun(FILE);
    expect(run).toMatchObject({ id: failed.id, status: 'completed', conclusion: 'failure' });
    expect(run?.htmlUrl).toMatch(new RegExp(`/acme/web/actions/runs/${failed.id}$`));
    const sent = github.requests.filter((request) => request.path.includes('/actions/workflows/'));
    expect(sent.map((request) => `${request.method} ${request.path}`)).toEqual([
      `GET /repos/acme/web/actions/workflows/${FILE}`,
      `GET /repos/acme/web/actions/workflows/${FILE}/runs`,
    ]);
    expect(sent[1]?.query.get('per_page')).toBe('1');
    for (const request of sent) {
      expect(request.headers['accept']).toBe('application/vnd.github+json');
      expect(request.headers['x-github-api-version']).toBe('2022-11-28');
      expect(request.headers['authorization']).toMatch(/^Bearer ghs_contract_read_/);
    }
  });

  it('says a workflow that never ran has no latest run', async () => {
    github.addWorkflow('acme/web', FILE);
    expect(await workflows(token('read')).latestRun(FILE)).toBeUndefined();
  });

  it('enables a workflow with actions: write', async () => {
    github.addWorkflow('acme/web', FILE, { state: 'disabled_inactivity' });
    await workflows(token('write')).enable(FILE);
    expect(github.workflow('acme/web', FILE)).toMatchObject({ state: 'active', enableCalls: 1 });
  });

  it('names actions: write when enabling is refused, and actions: read when reading is', async () => {
    github.addWorkflow('acme/web', FILE);
    const reader = workflows(token('read'));
    const enable = await refusal(reader.enable(FILE));
    expect(enable.status).toBe(403);
    expect(enable.message).toMatch(/permissions: actions: write/);
    expect(enable.message).not.toMatch(/\n/);
    const read = await refusal(workflows(token('none')).workflow(FILE));
    expect(read.status).toBe(403);
    expect(read.message).toMatch(/permissions: actions: read/);
    expect(github.workflow('acme/web', FILE)?.enableCalls).toBe(0);
  });

  it('says there is no such workflow in the repository on a 404', async () => {
    const error = await refusal(workflows(token('read')).workflow('missing.yml'));
    expect(error.status).toBe(404);
    expect(error.message).toMatch(/no workflow missing\.yml in acme\/web/);
  });

  it('goes under the GHES path of github-api-url', async () => {
    github.addWorkflow('acme/web', FILE);
    await workflows(token('read'), 'acme/web', `${github.url}/api/v3`)
      .workflow(FILE)
      .catch(() => undefined);
    expect(github.requests.at(-1)?.path).toBe(`/api/v3/repos/acme/web/actions/workflows/${FILE}`);
  });

  it('says nothing was sent when github-api-url cannot be reached, naming the input to check', async () => {
    const error = await refusal(workflows(token('read'), 'acme/web', await refusedUrl()).workflow(FILE));
    expect(error.message).toMatch(
      /^Could not reach GitHub at .* for reading workflow rotate-kubiya-key\.yml \(.*ECONNREFUSED.*\); nothing was sent\. Check github-api-url/,
    );
    expect(error.notSent).toBe(true);
  });
});
