// Check mode: the guard for the jobs that USE a key. Given the key a job is about to use (no admin key), say how
// long it has left, warn before it runs out, and fail only when it no longer works; with rotation-workflow, also
// whether the rotation behind it still runs. Reads only: at most one request without rotation-workflow.
import {
  checkFindings,
  FAILING_KINDS,
  type CheckFinding,
  type CheckInput,
  type CheckReport,
  type RotationState,
  type Verification,
} from '../check-findings.ts';
import { formatDuration } from '../duration.ts';
import { GitHubWorkflows } from '../github/workflows.ts';
import type { PipelineSchedule } from '../gitlab/schedules.ts';
import {
  InputError,
  parseBoolean,
  parseDurationInput,
  parseGitHubApiUrl,
  parseGitLabApiUrl,
  parseKubiyaApiUrl,
  parseRun,
  type Inputs,
} from '../inputs.ts';
import { jwtClaims, parseTimestamp } from '../kubiya/responses.ts';
import { resultsJson, slotResult } from '../results.ts';
import { requestSettings } from '../retry.ts';
import type { Runner } from '../runner.ts';
import { errorMessage, ServiceError } from '../service-error.ts';
import { kubiyaFor } from '../services.ts';
import type { Run } from '../slots.ts';
import { renderCheckSummary } from './check-summary.ts';

/** Check mode's config; `repository`, of this run, is the target and where the rotation workflow is. */
export interface CheckConfig
  extends Pick<Run, 'repository' | 'serverUrl'>, Pick<CheckInput, 'rotationWorkflow' | 'warnBeforeMs' | 'platform'> {
  mode: 'check';
  apiKey: string;
  kubiyaApiUrl: string;
  githubApiUrl: string;
  /** '' when not given */
  workflowToken: string;
  verify: boolean;
  /** the command line's --rotation-schedule: a GitLab pipeline schedule's id, '' when not given */
  rotationSchedule: string;
  /** with rotation-schedule: where it is read, and the token it is read with */
  gitlab?: { apiUrl: string; token: string; project: string };
}

export function parse(input: Inputs, env: NodeJS.ProcessEnv): CheckConfig {
  const apiKey = input('api-key');
  if (!apiKey) {
    throw new InputError(
      "Input 'api-key' is required by mode 'check': pass the key this job uses (api-key: ${{ secrets.KUBIYA_API_KEY }}). " +
        'Secrets are not passed to workflows triggered from forks.',
    );
  }
  const rotationWorkflow = input('rotation-workflow');
  if (rotationWorkflow && !/^[^/\s]+\.ya?ml$/.test(rotationWorkflow)) {
    throw new InputError(
      `Input 'rotation-workflow' must be a workflow's file name in .github/workflows/, ending .yml or .yaml, without spaces or '/' (got '${rotationWorkflow}').`,
    );
  }
  const workflowToken = input('workflow-token');
  if (rotationWorkflow && !workflowToken) {
    throw new InputError("Input 'workflow-token' is empty: rotation-workflow is read with it (default: ${{ github.token }}).");
  }
  const run = parseRun(env);
  const rotationSchedule = input('rotation-schedule');
  return {
    mode: 'check',
    apiKey,
    kubiyaApiUrl: parseKubiyaApiUrl(input),
    githubApiUrl: parseGitHubApiUrl(input, env),
    workflowToken,
    rotationWorkflow,
    warnBeforeMs: parseDurationInput('warn-before', input('warn-before') || '7d', 0),
    verify: parseBoolean(input, 'verify', true),
    repository: run.repository,
    serverUrl: run.serverUrl,
    platform: rotationSchedule || input('store') === 'gitlab' ? 'gitlab' : 'github',
    rotationSchedule,
    ...(rotationSchedule && { gitlab: parseScheduleInputs(input, rotationSchedule, rotationWorkflow) }),
  };
}

/** --rotation-schedule (the command line only): a numeric id, read with GITLAB_TOKEN in the project of the job. */
function parseScheduleInputs(input: Inputs, id: string, rotationWorkflow: string): NonNullable<CheckConfig['gitlab']> {
  if (!/^\d+$/.test(id)) {
    throw new InputError(
      `Input 'rotation-schedule' must be a pipeline schedule's numeric id (got '${id}'): see Build → Pipeline schedules.`,
    );
  }
  if (rotationWorkflow) throw new InputError("Inputs 'rotation-schedule' and 'rotation-workflow' cannot be combined: watch one rotation.");
  const token = input('gitlab-token');
  if (!token) {
    throw new InputError(
      "Input 'rotation-schedule' is read with Input 'gitlab-token', which is empty: give a GitLab token with the read_api " +
        '(or api) scope and at least the Reporter role on the project.',
    );
  }
  const project = input('projects').split('\n')[0]?.trim() ?? '';
  if (!project)
    throw new InputError("Input 'rotation-schedule' needs the project it is in: set 'projects' (in GitLab CI, CI_PROJECT_PATH is).");
  return { apiUrl: parseGitLabApiUrl(input), token, project };
}

export async function run(runner: Runner): Promise<void> {
  // main.ts masks api-key first; masked here too, so that this unit is safe on its own.
  if (runner.input('api-key')) runner.mask(runner.input('api-key'));
  const config = parse(runner.input, runner.env);
  const watching = config.rotationWorkflow
    ? `, rotation workflow ${config.rotationWorkflow}`
    : config.gitlab
      ? `, rotation pipeline schedule ${config.rotationSchedule} of ${config.gitlab.project}`
      : '';
  runner.log.info(
    `Checking api-key for ${config.repository}: warn-before ${formatDuration(config.warnBeforeMs)}, verify ${config.verify}${watching}. Read-only.`,
  );
  const settings = requestSettings(runner.env);
  const report = await check(config, {
    now: new Date(),
    verify: (key) => kubiyaFor({ kubiyaApiUrl: config.kubiyaApiUrl, adminApiKey: key }, runner).authenticate(key, 'api-key'),
    workflows: () =>
      new GitHubWorkflows({ ...settings, baseUrl: config.githubApiUrl, token: config.workflowToken, repository: config.repository }),
    schedule: async ({ apiUrl, token, project }, id) => {
      const { readPipelineSchedule } = await import('../gitlab/variables.ts');
      return readPipelineSchedule({ ...settings, apiUrl, token }, project, id);
    },
  });
  if (!report.expiresAt) runner.log.info('api-key is not a JWT with an exp claim: its expiry is unknown.');
  if (report.expiresAt) runner.output('expires-at', report.expiresAt.toISOString());
  const result = slotResult<CheckFinding[]>({ target: config.repository, secretName: '' }, 'checked', {
    keyName: report.keyName,
    expiresAt: report.expiresAt,
    detail: report.findings,
  });
  runner.output(
    'results',
    resultsJson([result], (findings) => ({ findings })),
  );
  await runner.summary(renderCheckSummary(config, report));
  const failing = report.findings.find((finding) => FAILING_KINDS.has(finding.kind));
  for (const finding of report.findings) if (finding !== failing) runner.log.warning(finding.message);
  if (failing) runner.fail(failing.message);
  else if (report.findings.length === 0)
    runner.log.info(`api-key is healthy${report.expiresAt ? ` until ${report.expiresAt.toISOString()}` : ''}.`);
}

export interface CheckDeps {
  now: Date;
  /** GET /api/v1/users/self with `key`; rejects with a ServiceError of status 401 when Kubiya refuses it */
  verify: (key: string) => Promise<void>;
  workflows: () => Pick<GitHubWorkflows, 'workflow' | 'latestRun'>;
  /** the rotation's GitLab pipeline schedule; rejects with a ServiceError carrying GitLab's status */
  schedule?: (gitlab: NonNullable<CheckConfig['gitlab']>, id: string) => Promise<PipelineSchedule>;
}

/** The key read locally, checked with Kubiya (verify), and the rotation workflow read (rotation-workflow), at once. */
export async function check(config: CheckConfig, deps: CheckDeps): Promise<CheckReport> {
  const claims = jwtClaims(config.apiKey);
  const expiresAt = parseTimestamp(claims?.['exp']);
  const tokenName = claims?.['token_name'];
  const [verification, rotation] = await Promise.all([
    config.verify ? verifyKey(config.apiKey, deps) : undefined,
    config.rotationWorkflow ? readRotation(config.rotationWorkflow, deps) : readSchedule(config, deps),
  ]);
  const findings = checkFindings({ ...config, expiresAt, verification, rotation, now: deps.now });
  return { keyName: typeof tokenName === 'string' ? tokenName : undefined, expiresAt, verification, rotation, findings };
}

async function verifyKey(key: string, deps: CheckDeps): Promise<Verification> {
  try {
    await deps.verify(key);
    return { outcome: 'accepted' };
  } catch (error) {
    const rejected = error instanceof ServiceError && error.status === 401;
    return { outcome: rejected ? 'rejected' : 'unknown', reason: errorMessage(error) };
  }
}

async function readRotation(file: string, deps: CheckDeps): Promise<RotationState> {
  const workflows = deps.workflows();
  const [workflow, latestRun] = await Promise.allSettled([workflows.workflow(file), workflows.latestRun(file)]);
  if (workflow.status === 'rejected') {
    const error: unknown = workflow.reason;
    return { error: errorMessage(error), status: error instanceof ServiceError ? error.status : undefined };
  }
  return { workflow: workflow.value, latestRun: latestRun.status === 'fulfilled' ? latestRun.value : undefined };
}

async function readSchedule(config: CheckConfig, deps: CheckDeps): Promise<RotationState | undefined> {
  if (!config.gitlab || !config.rotationSchedule || !deps.schedule) return undefined;
  try {
    return { schedule: await deps.schedule(config.gitlab, config.rotationSchedule) };
  } catch (error) {
    return { error: errorMessage(error), status: error instanceof ServiceError ? error.status : undefined };
  }
}
