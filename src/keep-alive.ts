// Keeping the schedule alive: GitHub disables the schedule of a workflow in a public repository after 60 days
// without repository activity, and writing a secret is not activity. So a scheduled rotation in a public repository
// re-enables its own workflow after its work (PUT …/actions/workflows/FILE/enable with workflow-token), which resets
// that clock. It never fails the step: a refusal or no answer is one warning.
import { readFileSync } from 'node:fs';
import { GitHubWorkflows } from './github/workflows.ts';
import { parseBoolean, type Inputs } from './inputs.ts';
import { requestSettings } from './retry.ts';
import type { Runner } from './runner.ts';
import { errorMessage } from './service-error.ts';

export interface KeepAliveInputs {
  keepScheduleAlive: boolean;
  workflowToken: string;
}

export function parseKeepAliveInputs(input: Inputs): KeepAliveInputs {
  return { keepScheduleAlive: parseBoolean(input, 'keep-schedule-alive', true), workflowToken: input('workflow-token') };
}

type KeepAlive = { send: false } | { send: true; repository: string; file: string };

/**
 * Whether this run re-enables its workflow: keep-schedule-alive, a `schedule` event, and a repository the event
 * payload says is public (`repository.private === false`; an unreadable payload is not public). The file and its
 * repository come from GITHUB_WORKFLOW_REF, `owner/repo/.github/workflows/FILE@ref`.
 */
export function keepAliveDecision(enabled: boolean, env: NodeJS.ProcessEnv, readEvent = readEventPayload): KeepAlive {
  if (!enabled || env['GITHUB_EVENT_NAME'] !== 'schedule') return { send: false };
  const event = readEvent(env['GITHUB_EVENT_PATH']) as { repository?: { private?: unknown } } | null | undefined;
  if (event?.repository?.private !== false) return { send: false };
  const ref = /^([^/\s]+\/[^/\s]+)\/\.github\/workflows\/([^/@\s]+\.ya?ml)@/.exec(env['GITHUB_WORKFLOW_REF'] ?? '');
  return ref ? { send: true, repository: ref[1]!, file: ref[2]! } : { send: false };
}

function readEventPayload(path: string | undefined): unknown {
  if (!path) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** The warning a run that could not keep its schedule alive gives, once. */
function keepAliveWarning(file: string, reason: string): string {
  return (
    `Could not keep the schedule of workflow ${file} alive (${reason}): GitHub may disable this schedule after 60 days ` +
    'without a commit, and the rotation then stops silently. `permissions: actions: write` in the rotation job lets ' +
    'the action prevent it (or set keep-schedule-alive: false).'
  );
}

/** After the rotation: re-enable the running workflow when keepAliveDecision says so; a dry-run only says it would. */
export async function keepScheduleAlive(
  config: KeepAliveInputs & { githubApiUrl: string; dryRun: boolean },
  runner: Pick<Runner, 'env' | 'log'>,
  workflowsFor: (repository: string) => Pick<GitHubWorkflows, 'enable'> = (repository) =>
    new GitHubWorkflows({ ...requestSettings(runner.env), baseUrl: config.githubApiUrl, token: config.workflowToken, repository }),
): Promise<void> {
  const decision = keepAliveDecision(config.keepScheduleAlive, runner.env);
  if (!decision.send) return;
  const { file, repository } = decision;
  if (config.dryRun) {
    runner.log.info(`Dry-run: would re-enable workflow ${file} of ${repository} to keep its schedule alive (nothing sent).`);
    return;
  }
  if (!config.workflowToken) {
    runner.log.warning(keepAliveWarning(file, 'workflow-token is empty'));
    return;
  }
  try {
    await workflowsFor(repository).enable(file);
    runner.log.info(`Kept the schedule of workflow ${file} alive: re-enabled it, which resets GitHub's 60-day inactivity clock.`);
  } catch (error) {
    runner.log.warning(keepAliveWarning(file, errorMessage(error)));
  }
}
