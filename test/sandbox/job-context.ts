// The job a step runs in, as the runner sets it up: the `github` and `runner` contexts, the job
// directory (workspace, RUNNER_TEMP, the file-command files) and the GITHUB_*/RUNNER_* variables.
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ExprValue } from './action-metadata.ts';

export interface GitHubContextOptions {
  repository?: string;
  runId?: string;
  runNumber?: string;
  runAttempt?: string;
  job?: string;
  workflow?: string;
  serverUrl?: string;
  apiUrl?: string;
  graphqlUrl?: string;
  eventName?: string;
  sha?: string;
  ref?: string;
  actor?: string;
  /** `github.token` (the job's GITHUB_TOKEN); the runner masks it. */
  token?: string;
  /** The running workflow's file in `.github/workflows/`; default 'rotate.yml'. Makes GITHUB_WORKFLOW_REF. */
  workflowFile?: string;
  /** GITHUB_WORKFLOW_REF as given (a reusable workflow's, a malformed one); default `REPO/.github/workflows/FILE@REF`. */
  workflowRef?: string;
  /** `repository.private` in the default event payload; default true (a public repository is asked for). */
  repositoryPrivate?: boolean;
  /**
   * The event payload written to GITHUB_EVENT_PATH, as given (replaces the default one). Default: what the runner
   * gives for `eventName` — `repository` (with `private`), `sender`, `workflow`, and `schedule` for a schedule.
   */
  event?: Record<string, unknown>;
}

/** The parts of an event payload every event has, as the runner writes them to GITHUB_EVENT_PATH. */
function defaultEvent(gh: GitHubContextOptions, repository: string, workflowFile: string): Record<string, unknown> {
  const [owner = '', name = ''] = repository.split('/');
  const isPrivate = gh.repositoryPrivate ?? true;
  const serverUrl = gh.serverUrl ?? 'https://github.com';
  return {
    ...(gh.eventName === undefined || gh.eventName === 'schedule' ? { schedule: '17 5 * * 1' } : {}),
    workflow: `.github/workflows/${workflowFile}`,
    repository: {
      name,
      full_name: repository,
      owner: { login: owner },
      private: isPrivate,
      visibility: isPrivate ? 'private' : 'public',
      html_url: `${serverUrl}/${repository}`,
    },
    sender: { login: gh.actor ?? 'octocat' },
  };
}

const DEFAULT_TOKEN = 'ghs_RunnerEmulatorJobToken0000000000000';

export function githubContext(gh: GitHubContextOptions = {}) {
  const repository = gh.repository ?? 'acme/web';
  const apiUrl = gh.apiUrl ?? 'https://api.github.com';
  const ref = gh.ref ?? 'refs/heads/main';
  const sha = gh.sha ?? 'ffac537e6cbbf934b08745a378932722df287a53';
  const workflowFile = gh.workflowFile ?? 'rotate.yml';
  return {
    repository,
    repository_owner: repository.split('/')[0] ?? '',
    run_id: gh.runId ?? '9876543210',
    run_number: gh.runNumber ?? '42',
    run_attempt: gh.runAttempt ?? '1',
    job: gh.job ?? 'rotate',
    workflow: gh.workflow ?? 'Rotate Kubiya API key',
    workflow_ref: gh.workflowRef ?? `${repository}/.github/workflows/${workflowFile}@${ref}`,
    workflow_sha: sha,
    server_url: gh.serverUrl ?? 'https://github.com',
    api_url: apiUrl,
    graphql_url: gh.graphqlUrl ?? (/\/api\/v3\/?$/.test(apiUrl) ? apiUrl.replace(/\/v3\/?$/, '/graphql') : `${apiUrl}/graphql`),
    event_name: gh.eventName ?? 'schedule',
    sha,
    ref,
    ref_name: ref.replace(/^refs\/(heads|tags)\//, ''),
    ref_type: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
    actor: gh.actor ?? 'octocat',
    token: gh.token ?? DEFAULT_TOKEN,
    event: (gh.event ?? defaultEvent(gh, repository, workflowFile)) as ExprValue,
  };
}

export type GitHubContext = ReturnType<typeof githubContext>;

export function runnerContext(jobDir: string, runnerTemp: string, debug?: boolean) {
  return {
    os: 'Linux',
    arch: 'X64',
    name: 'GitHub Actions 1',
    temp: runnerTemp,
    tool_cache: path.join(jobDir, 'toolcache'),
    environment: 'github-hosted',
    debug: debug ? '1' : '',
  };
}

export type RunnerContext = ReturnType<typeof runnerContext>;

/** Where one step's files live in the job directory; the file-command files are per step. */
export interface StepLayout {
  workspace: string;
  runnerTemp: string;
  commandDir: string;
  eventPath: string;
  commandFiles: { output: string; state: string; env: string; path: string; summary: string };
}

/** Creates the step's directories and its empty file-command files. */
export async function createStepLayout(jobDir: string): Promise<StepLayout> {
  const workspace = path.join(jobDir, 'workspace');
  const runnerTemp = path.join(jobDir, 'runner_temp');
  const commandDir = path.join(runnerTemp, '_runner_file_commands');
  const eventPath = path.join(runnerTemp, '_github_workflow', 'event.json');
  const stepId = randomUUID();
  const fileCommand = (name: string) => path.join(commandDir, `${name}_${stepId}`);
  const commandFiles = {
    output: fileCommand('set_output'),
    state: fileCommand('save_state'),
    env: fileCommand('set_env'),
    path: fileCommand('add_path'),
    summary: fileCommand('step_summary'),
  };
  await mkdir(workspace, { recursive: true });
  await mkdir(commandDir, { recursive: true });
  await mkdir(path.dirname(eventPath), { recursive: true });
  for (const file of Object.values(commandFiles)) await writeFile(file, '');
  return { workspace, runnerTemp, commandDir, eventPath, commandFiles };
}

/** The GITHUB_* and RUNNER_* variables (and CI) the runner gives every step. */
export function runnerVariables(
  gh: GitHubContext,
  runner: RunnerContext,
  layout: StepLayout,
  actionDir: string,
  debug?: boolean,
): Record<string, string> {
  const { workspace, runnerTemp, eventPath, commandFiles } = layout;
  const githubVars: Record<string, string> = {
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_REPOSITORY: gh.repository,
    GITHUB_REPOSITORY_OWNER: gh.repository_owner,
    GITHUB_RUN_ID: gh.run_id,
    GITHUB_RUN_NUMBER: gh.run_number,
    GITHUB_RUN_ATTEMPT: gh.run_attempt,
    GITHUB_JOB: gh.job,
    GITHUB_WORKFLOW: gh.workflow,
    GITHUB_WORKFLOW_REF: gh.workflow_ref,
    GITHUB_WORKFLOW_SHA: gh.workflow_sha,
    GITHUB_SERVER_URL: gh.server_url,
    GITHUB_API_URL: gh.api_url,
    GITHUB_GRAPHQL_URL: gh.graphql_url,
    GITHUB_EVENT_NAME: gh.event_name,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_SHA: gh.sha,
    GITHUB_REF: gh.ref,
    GITHUB_REF_NAME: gh.ref_name,
    GITHUB_REF_TYPE: gh.ref_type,
    GITHUB_ACTOR: gh.actor,
    GITHUB_TRIGGERING_ACTOR: gh.actor,
    GITHUB_WORKSPACE: workspace,
    GITHUB_ACTION: '__kubiya_api-key-action',
    GITHUB_ACTION_PATH: actionDir,
    GITHUB_ACTION_REPOSITORY: 'kubiya/api-key-action',
    GITHUB_ACTION_REF: 'v1',
    GITHUB_RETENTION_DAYS: '90',
    GITHUB_OUTPUT: commandFiles.output,
    GITHUB_STATE: commandFiles.state,
    GITHUB_ENV: commandFiles.env,
    GITHUB_PATH: commandFiles.path,
    GITHUB_STEP_SUMMARY: commandFiles.summary,
    RUNNER_OS: runner.os,
    RUNNER_ARCH: runner.arch,
    RUNNER_NAME: runner.name,
    RUNNER_ENVIRONMENT: runner.environment,
    RUNNER_TEMP: runnerTemp,
    RUNNER_TOOL_CACHE: runner.tool_cache,
  };
  if (debug) githubVars['RUNNER_DEBUG'] = '1';
  return githubVars;
}
