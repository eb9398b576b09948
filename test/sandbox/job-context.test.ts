// The run's event, its payload and the running workflow's ref, as a step sees them: what the keep-alive
// of a schedule and check mode's rotation-workflow read.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubContext } from './job-context.ts';
import type { GitHubContextOptions } from './job-context.ts';
import { runStep } from './runner.ts';

// Reports what the runner gave it: the event variables and the payload file's content.
const MAIN = `
import { appendFileSync, readFileSync } from 'node:fs';
const seen = {
  eventName: process.env.GITHUB_EVENT_NAME,
  workflowRef: process.env.GITHUB_WORKFLOW_REF,
  workflowSha: process.env.GITHUB_WORKFLOW_SHA,
  event: JSON.parse(readFileSync(process.env.GITHUB_EVENT_PATH, 'utf8')),
};
appendFileSync(process.env.GITHUB_OUTPUT, 'seen<<EOF\\n' + JSON.stringify(seen) + '\\nEOF\\n');
`;

let actionDir = '';
beforeAll(async () => {
  actionDir = await mkdtemp(path.join(tmpdir(), 'event-action-'));
  await writeFile(path.join(actionDir, 'action.yml'), 'name: event reader\nruns:\n  using: node24\n  main: main.mjs\n');
  await writeFile(path.join(actionDir, 'main.mjs'), MAIN);
});
afterAll(async () => {
  await rm(actionDir, { recursive: true, force: true });
});

interface Seen {
  eventName: string;
  workflowRef: string;
  workflowSha: string;
  event: Record<string, unknown> & { repository?: { private?: boolean; full_name?: string } };
}

async function seen(github: GitHubContextOptions): Promise<Seen> {
  const result = await runStep({ actionDir, github });
  expect(result.failed).toBe(false);
  return JSON.parse(result.outputs['seen'] ?? '{}') as Seen;
}

describe('the event and workflow a step sees', () => {
  it('defaults to a schedule run of rotate.yml in a private repository', async () => {
    const step = await seen({});
    expect(step.eventName).toBe('schedule');
    expect(step.workflowRef).toBe('acme/web/.github/workflows/rotate.yml@refs/heads/main');
    expect(step.workflowSha).toMatch(/^[0-9a-f]{40}$/);
    expect(step.event).toMatchObject({
      schedule: expect.any(String),
      workflow: '.github/workflows/rotate.yml',
      repository: { full_name: 'acme/web', private: true, visibility: 'private' },
    });
  });

  it('sets the event name, the workflow file and a public repository in the payload', async () => {
    const step = await seen({
      repository: 'octo/site',
      eventName: 'schedule',
      workflowFile: 'rotate-kubiya-key.yml',
      repositoryPrivate: false,
    });
    expect(step.eventName).toBe('schedule');
    expect(step.workflowRef).toBe('octo/site/.github/workflows/rotate-kubiya-key.yml@refs/heads/main');
    expect(step.event).toMatchObject({
      workflow: '.github/workflows/rotate-kubiya-key.yml',
      repository: { full_name: 'octo/site', private: false, visibility: 'public', owner: { login: 'octo' } },
    });

    const dispatch = await seen({ eventName: 'workflow_dispatch', ref: 'refs/heads/release' });
    expect(dispatch.eventName).toBe('workflow_dispatch');
    expect(dispatch.event).not.toHaveProperty('schedule');
    expect(dispatch.workflowRef).toBe('acme/web/.github/workflows/rotate.yml@refs/heads/release');
  });

  it('writes a given payload and workflow ref exactly as given', async () => {
    const event = { repository: { full_name: 'acme/web', private: false }, custom: [1, 2] };
    const step = await seen({ event, workflowRef: 'acme/shared/.github/workflows/reusable.yaml@refs/tags/v1' });
    expect(step.event).toEqual(event);
    expect(step.workflowRef).toBe('acme/shared/.github/workflows/reusable.yaml@refs/tags/v1');
    expect((await seen({ event: {} })).event).toEqual({});
  });

  it('gives the same values to the github context that action.yml defaults read', () => {
    const gh = githubContext({ workflowFile: 'keys.yaml', repositoryPrivate: false });
    expect(gh.workflow_ref).toBe('acme/web/.github/workflows/keys.yaml@refs/heads/main');
    expect(gh.workflow_sha).toBe(gh.sha);
    expect(gh.event).toMatchObject({ repository: { private: false } });
  });
});
