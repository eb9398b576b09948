// Check mode's job summary: the key's name and time left, Kubiya's answer, the rotation workflow's state and its
// latest run, then the findings in words. Every server string goes through text().
import { FAILING_KINDS, type CheckInput, type CheckReport, type Verification } from '../check-findings.ts';
import type { Run } from '../slots.ts';
import { code, NONE, relative, table, text, when } from '../summary.ts';

/** The part of check mode's config the summary shows. */
type CheckSubject = Pick<Run, 'repository' | 'serverUrl'> & Pick<CheckInput, 'rotationWorkflow' | 'rotationSchedule'>;

const KUBIYA_ANSWER: Record<Verification['outcome'], string> = {
  accepted: 'accepted the key',
  rejected: '**rejected the key**',
  unknown: 'no answer',
};

export function renderCheckSummary(config: CheckSubject, report: CheckReport, now = new Date()): string {
  const failing = report.findings.some((finding) => FAILING_KINDS.has(finding.kind));
  const verdict = failing
    ? '❌ **api-key does not work now.**'
    : report.findings.length > 0
      ? '⚠️ **api-key works, with warnings.**'
      : '✅ **api-key works.**';
  const rows = [
    ['Key', report.keyName ? code(report.keyName) : NONE],
    [
      'Expires',
      report.expiresAt ? `${when(report.expiresAt)} (${relative(report.expiresAt, now)})` : 'unknown (not a JWT with an exp claim)',
    ],
    ['Kubiya', report.verification ? KUBIYA_ANSWER[report.verification.outcome] : 'not asked (verify: false)'],
    ...rotationRows(config, report),
  ];
  const sections = [`## Kubiya API key check: ${text(config.repository)}`, verdict, table(['Check', 'Result'], rows)];
  if (report.findings.length > 0) {
    sections.push('### Findings');
    sections.push(report.findings.map((finding) => `- **${finding.kind}**: ${text(finding.message)}`).join('\n'));
  }
  return `${sections.join('\n\n')}\n`;
}

/** The rotation watched: a GitHub workflow, or (the command line's --rotation-schedule) a GitLab pipeline schedule. */
function rotationRows(config: CheckSubject, { rotation }: CheckReport): string[][] {
  const id = config.rotationSchedule || config.rotationWorkflow;
  const what = config.rotationSchedule ? 'Rotation schedule' : 'Rotation workflow';
  if (!id || !rotation) return [['Rotation workflow', 'not watched (no rotation-workflow)']];
  if ('error' in rotation) return [[what, `${code(id)}: ${rotation.status === 404 ? 'not found' : 'could not be read'}`]];
  if ('schedule' in rotation) {
    const { active, nextRunAt, lastPipeline } = rotation.schedule;
    return [
      [what, `${code(id)}: ${active ? `active, next run ${when(nextRunAt)}` : '**inactive**'}`],
      ['Last pipeline', lastPipeline ? text(lastPipeline.status) : 'never ran'],
    ];
  }
  const run = rotation.latestRun;
  // The link is made from the run's numeric id and this server's URL, never from a server string.
  const link =
    run && Number.isSafeInteger(run.id) ? ` [run ${run.id}](${config.serverUrl}/${config.repository}/actions/runs/${run.id})` : '';
  const latest = run ? `${text(run.conclusion ?? run.status)}, ${when(run.createdAt)}${link}` : 'never ran';
  return [
    [what, `${code(id)}: ${text(rotation.workflow.state)}`],
    ['Latest run', latest],
  ];
}
