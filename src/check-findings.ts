// Check mode's findings: whether the key a job is about to use still works, how long it has left, and whether the
// rotation behind it still runs. Pure: decided from the key's expiry, Kubiya's answer, GitHub's answers and the clock.
import { formatDuration } from './duration.ts';
import { iso, relative } from './summary.ts';
import type { Workflow, WorkflowRun } from './github/workflows.ts';
import type { PipelineSchedule } from './gitlab/schedules.ts';

export type CheckFindingKind =
  | 'expired'
  | 'rejected'
  | 'expiring'
  | 'unverified'
  | 'rotation-disabled'
  | 'rotation-failing'
  | 'rotation-missing'
  | 'rotation-unreadable';

/** The key does not work now: these fail the step. Every other finding is a warning. */
export const FAILING_KINDS: ReadonlySet<CheckFindingKind> = new Set(['expired', 'rejected']);

export interface CheckFinding {
  kind: CheckFindingKind;
  /** what was found and what to do, one line */
  message: string;
}

/** Kubiya's answer to the key; undefined with verify: false. */
export type Verification = { outcome: 'accepted' } | { outcome: 'rejected' | 'unknown'; reason: string };

/** What GitHub said about the rotation workflow (GitLab about the rotation's pipeline schedule); undefined without one. */
export type RotationState =
  { workflow: Workflow; latestRun?: WorkflowRun } | { schedule: PipelineSchedule } | { error: string; status?: number };

/** What check mode found out about the key and its rotation. */
export interface CheckReport {
  /** the key's `token_name` claim, where there */
  keyName?: string;
  /** from the key's JWT `exp`; undefined when unknown */
  expiresAt?: Date;
  verification?: Verification;
  rotation?: RotationState;
  findings: CheckFinding[];
}

export interface CheckInput extends Pick<CheckReport, 'expiresAt' | 'verification' | 'rotation'> {
  /** rotation-workflow, '' when not given */
  rotationWorkflow: string;
  /** the command line's --rotation-schedule (a GitLab pipeline schedule's id), '' when not given */
  rotationSchedule?: string;
  now: Date;
  warnBeforeMs: number;
  /** where the rotation runs: a GitHub workflow, or (the command line in GitLab CI) a GitLab pipeline schedule */
  platform: 'github' | 'gitlab';
}

/** Conclusions of a run that did not do its work. */
const FAILED_CONCLUSIONS = new Set(['failure', 'timed_out', 'startup_failure']);

/** What to run to get a fresh key now. */
function rotateNow(file: string, platform: CheckInput['platform']): string {
  if (platform === 'gitlab') return 'run the rotation now: run its pipeline schedule (Build → Pipeline schedules → Run) or its job';
  return file
    ? `run the rotation now: gh workflow run ${file}`
    : 'run the rotation workflow now (gh workflow run <its file>; pass rotation-workflow to have this step watch it)';
}

export function checkFindings(input: CheckInput): CheckFinding[] {
  return [...keyFindings(input), ...rotationFindings(input)];
}

function keyFindings({ expiresAt, verification, rotationWorkflow: file, now, warnBeforeMs, platform }: CheckInput): CheckFinding[] {
  const passed = expiresAt !== undefined && expiresAt.getTime() <= now.getTime();
  if (passed && verification?.outcome !== 'accepted') {
    const message = `api-key expired on ${iso(expiresAt)} (its exp claim): the rotation behind it has stopped; ${rotateNow(file, platform)}.`;
    return [{ kind: 'expired', message }];
  }
  if (verification?.outcome === 'rejected') {
    const message =
      `${verification.reason}: api-key is revoked, expired, or of another Kubiya deployment ` +
      `(check kubiya-api-url); ${rotateNow(file, platform)}.`;
    return [{ kind: 'rejected', message }];
  }
  const findings: CheckFinding[] = [];
  if (expiresAt && expiresAt.getTime() - now.getTime() <= warnBeforeMs) {
    const left = passed ? 'its exp claim has passed, though Kubiya still accepts it' : relative(expiresAt, now);
    const message = `api-key expires on ${iso(expiresAt)} (${left}, within warn-before ${formatDuration(warnBeforeMs)}): the rotation behind it may have stopped; ${rotateNow(file, platform)}.`;
    findings.push({ kind: 'expiring', message });
  }
  if (verification?.outcome === 'unknown') {
    const message = `Could not check api-key with Kubiya (${verification.reason}); the job goes on without that check.`;
    findings.push({ kind: 'unverified', message });
  }
  return findings;
}

function rotationFindings({ rotationWorkflow: file, rotationSchedule, rotation }: CheckInput): CheckFinding[] {
  if (!(file || rotationSchedule) || !rotation) return [];
  if ('error' in rotation) {
    if (rotation.status === 404) {
      return [{ kind: 'rotation-missing', message: `${rotation.error}; check ${file ? 'rotation-workflow' : '--rotation-schedule'}.` }];
    }
    // A refusal names the permission it needs (actions: read; the token's role); any other failure says what happened.
    const message = file ? `Could not read rotation workflow ${file}: ${rotation.error}.` : `${rotation.error}.`;
    return [{ kind: 'rotation-unreadable', message }];
  }
  if ('schedule' in rotation) return scheduleFindings(rotation.schedule);
  const findings: CheckFinding[] = [];
  const { workflow, latestRun } = rotation;
  if (workflow.state !== 'active') {
    const why =
      workflow.state === 'disabled_inactivity'
        ? ' (GitHub disabled its schedule after 60 days without repository activity; `permissions: actions: write` in the rotation job lets the action keep it alive)'
        : '';
    const message = `Rotation workflow ${file} is ${workflow.state}${why}: it no longer runs; re-enable it (gh workflow enable ${file}) and run it (gh workflow run ${file}).`;
    findings.push({ kind: 'rotation-disabled', message });
  }
  if (latestRun?.conclusion && FAILED_CONCLUSIONS.has(latestRun.conclusion)) {
    const when = latestRun.createdAt ? ` on ${iso(latestRun.createdAt)}` : '';
    const message = `The latest run of rotation workflow ${file}${when} ended in ${latestRun.conclusion}: look at it (${latestRun.htmlUrl ?? `run ${latestRun.id}`}), fix it, and run it again (gh workflow run ${file}).`;
    findings.push({ kind: 'rotation-failing', message });
  }
  return findings;
}

/** A pipeline schedule that no longer runs (GitLab deactivates one whose owner leaves), or whose last pipeline failed. */
function scheduleFindings(schedule: PipelineSchedule): CheckFinding[] {
  const name = `Rotation pipeline schedule ${schedule.id}${schedule.description ? ` (${schedule.description})` : ''}`;
  const findings: CheckFinding[] = [];
  if (!schedule.active) {
    const message =
      `${name} is inactive: it no longer runs (GitLab deactivates a schedule whose owner leaves the project or is ` +
      'blocked); take ownership of it and activate it (Build → Pipeline schedules), then run it.';
    findings.push({ kind: 'rotation-disabled', message });
  }
  const last = schedule.lastPipeline;
  if (last?.status === 'failed') {
    const message = `The last pipeline of ${name} ${last.status}: look at it (${last.webUrl ?? `pipeline ${last.id}`}), fix it, and run the schedule again (Build → Pipeline schedules → Run).`;
    findings.push({ kind: 'rotation-failing', message });
  }
  return findings;
}
