// Check mode's read of the rotation's pipeline schedule against the GitLab emulator: active, next run and last
// pipeline; a missing schedule; a token that may not read it. Every request is checked against GitLab's own API
// description.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readPipelineSchedule } from '../../src/gitlab/schedules.ts';
import { DEFAULT_RETRY } from '../../src/retry.ts';
import { startGitLabEmulator, type GitLabEmulator } from '../sandbox/gitlab-emulator.ts';
import { assertMatchesOpenApi } from '../sandbox/gitlab-openapi.ts';
import { failure } from './service-failure.ts';

const TOKEN = 'glpat-contract-reporter-0001';
let gitlab: GitLabEmulator;
beforeEach(async () => {
  gitlab = await startGitLabEmulator();
  gitlab.addProject('acme/web', { id: 7 });
  gitlab.addToken(TOKEN, { kind: 'project', scopes: ['read_api'], roles: { 'acme/web': 'reporter' } });
});
afterEach(async () => {
  for (const request of gitlab.matching()) assertMatchesOpenApi(request.method, request.path, undefined, request.query);
  await gitlab.close();
});

const read = (id: string, token = TOKEN, project = 'acme/web') =>
  readPipelineSchedule(
    { apiUrl: `${gitlab.url}/api/v4`, token, timeoutMs: 2_000, retry: { ...DEFAULT_RETRY, baseMs: 20 }, userAgent: 'contract-test' },
    project,
    id,
  );

describe('the rotation pipeline schedule', () => {
  it('is read with its state, next run and last pipeline, by path or numeric project id', async () => {
    const nextRunAt = '2027-01-02T03:00:00.000Z';
    const { id } = gitlab.addPipelineSchedule('acme/web', {
      description: 'rotate',
      active: true,
      nextRunAt,
      lastPipeline: { id: 91, status: 'failed' },
    });
    const schedule = await read(String(id));
    expect(schedule).toMatchObject({ id, description: 'rotate', active: true, nextRunAt: new Date(nextRunAt) });
    expect(schedule.lastPipeline).toMatchObject({ id: 91, status: 'failed', webUrl: expect.stringMatching(/\/-\/pipelines\/91$/) });
    expect((await read(String(id), TOKEN, '7')).active).toBe(true);
    expect(gitlab.matching()[0]!.path).toBe(`/api/v4/projects/acme%2Fweb/pipeline_schedules/${id}`);
  });

  it('an inactive schedule that never ran has no last pipeline', async () => {
    const { id } = gitlab.addPipelineSchedule('acme/web', { active: false, nextRunAt: null, lastPipeline: null });
    expect(await read(String(id))).toEqual({ id, description: expect.any(String), active: false });
  });

  it('a missing schedule is a 404 that says so; a Guest token a 403 naming the role it needs', async () => {
    const missing = await failure(read('404404'));
    expect(missing).toMatchObject({
      status: 404,
      message: expect.stringMatching(/GitLab has no pipeline schedule 404404 of project acme\/web/),
    });
    gitlab.addToken('glpat-contract-guest-00001', { roles: { 'acme/web': 'guest' } });
    gitlab.addPipelineSchedule('acme/web', { id: 5 });
    const refused = await failure(read('5', 'glpat-contract-guest-00001'));
    expect(refused).toMatchObject({ status: 403, message: expect.stringMatching(/GITLAB_TOKEN may not read it: .*Reporter role/) });
  });
});
