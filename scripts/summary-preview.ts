// npm run summary:preview: renders the job summaries of a few sandbox runs (rotation with a revoked key, a
// partial failure, a dry-run plan, mint, revoke, check, audits of 3 and of 300 slots) as GitHub renders Markdown, to look at them as a user
// would. Writes .tmp/summary-preview.html and, when Debian's chromium is installed, a PNG screenshot.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { marked } from 'marked';
import { useFreshAction } from '../test/sandbox/action-bundle.ts';
import type { JobResult, RunJobOptions } from '../test/sandbox/runner.ts';
import { startSandbox } from '../test/sandbox/sandbox.ts';

const out = path.resolve(import.meta.dirname, '../.tmp');
mkdirSync(out, { recursive: true });

const progress = (line: string) => console.error(`summary:preview: ${line}`);
await useFreshAction(progress);
progress('starting the Kubiya and GitHub emulators');
const sandbox = await startSandbox({ repositories: ['acme/web', 'acme/api', 'acme/tools'] });
const summaries: string[] = [];
const run = (what: string, options: RunJobOptions & { runId: string }): Promise<JobResult> => {
  progress(`run ${options.runId}: ${what}`);
  return sandbox.run(options);
};
try {
  await run('first rotation of three repositories', { runId: '1001', inputs: { repositories: 'web, api, tools' } });
  sandbox.github.injectFault({
    method: 'PUT',
    path: '/repos/acme/api/actions/secrets/KUBIYA_API_KEY',
    kind: 'status',
    status: 403,
    times: 4,
  });
  summaries.push(
    (
      await run('a rotation where one secret write fails', {
        runId: '1002',
        inputs: { repositories: 'web, api, tools', 'grace-period': '1h' },
      })
    ).main.summary,
  );
  summaries.push((await run('a dry-run plan', { runId: '1003', inputs: { repositories: 'web, api', 'dry-run': 'true' } })).main.summary);
  summaries.push((await run('mint mode', { runId: '1004', inputs: { mode: 'mint' }, github: { job: 'deploy' } })).main.summary);
  summaries.push((await run('revoke mode', { runId: '1005', inputs: { mode: 'revoke', repositories: 'tools' } })).main.summary);
  // Check mode in a job that uses the key: it expires in 3 days, and the rotation workflow was disabled for inactivity.
  const expiring = sandbox.kubiya.seedKey({
    userEmail: 'ci-bot@acme.test',
    name: 'gha:acme/web:KUBIYA_API_KEY:run-1006-1',
    expiresAt: new Date(Date.now() + 3 * 24 * 3_600_000),
  });
  sandbox.github.addWorkflow('acme/web', 'rotate-kubiya-key.yml', { state: 'disabled_inactivity' });
  sandbox.github.addWorkflowRun('acme/web', 'rotate-kubiya-key.yml', { conclusion: 'success' });
  const workflowToken = 'ghs_preview_actions_read';
  sandbox.github.addToken(workflowToken, { kind: 'github-token', actions: 'read' });
  const checkInputs = {
    mode: 'check',
    'api-key': expiring.token,
    'rotation-workflow': 'rotate-kubiya-key.yml',
    'workflow-token': workflowToken,
  };
  summaries.push(
    (await run('check mode', { runId: '1006', inputs: { ...checkInputs, 'admin-api-key': '', 'github-token': '' } })).main.summary,
  );
} finally {
  await sandbox.close();
}

// Audits: three slots (one expired, one expiring with a lingering key, one clean), then 300 slots with a few findings.
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ago = (ms: number) => new Date(Date.now() - ms);
for (const count of [3, 300]) {
  const repositories = Array.from({ length: count }, (_, i) =>
    count === 3 ? ['acme/web', 'acme/api', 'acme/tools'][i]! : `acme/svc-${i}`,
  );
  const box = await startSandbox({ repositories });
  try {
    const admin = { userEmail: 'ci-bot@acme.test' };
    repositories.forEach((repo, i) => {
      const name = (run: number) => `gha:${repo}:KUBIYA_API_KEY:run-${run}-1`;
      const seed = (run: number, createdAt: Date, expiresAt: Date, lastUsed?: Date) =>
        box.kubiya.seedKey({ ...admin, name: name(run), createdAt, expiresAt, lastUsed });
      if (i % 100 === 0) seed(10 * i + 1, ago(40 * DAY), ago(10 * DAY), ago(11 * DAY));
      else if (i % 100 === 1) {
        seed(10 * i + 1, ago(33 * DAY), ago(3 * DAY), ago(2 * DAY));
        seed(10 * i + 2, ago(26 * DAY), ahead(4 * DAY), ago(HOUR));
      } else seed(10 * i + 1, ago((i % 7) * DAY + HOUR), ahead((30 - (i % 7)) * DAY), ago(3 * HOUR));
      box.github.seedSecret({ repo }, 'KUBIYA_API_KEY', 'held-value');
    });
    box.kubiya.seedKey({
      ...admin,
      name: `gha:${repositories[2]}/job/deploy:KUBIYA_API_KEY:run-77-1`,
      createdAt: ago(9 * HOUR),
      expiresAt: ahead(HOUR),
    });
    box.kubiya.seedKey({ ...admin, name: 'gha:acme/retired:KUBIYA_API_KEY:run-5-1', createdAt: ago(DAY), expiresAt: ahead(29 * DAY) });
    progress(`run: an audit of ${count + 1} slots`);
    const { main } = await box.run({ runId: String(2000 + count), inputs: { mode: 'audit', repositories: '*' } });
    summaries.push(main.summary);
  } finally {
    await box.close();
  }
}

function ahead(ms: number): Date {
  return new Date(Date.now() + ms);
}

const html = `<!doctype html><meta charset="utf-8"><title>Job summaries</title>
<style>
  body { font: 14px/1.5 -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; color: #1f2328; max-width: 1200px; margin: 24px; }
  section { border: 1px solid #d1d9e0; border-radius: 6px; padding: 8px 24px 16px; margin-bottom: 24px; }
  table { border-collapse: collapse; margin: 8px 0; } th, td { border: 1px solid #d1d9e0; padding: 6px 13px; }
  tr:nth-child(2n) { background: #f6f8fa; } code { background: #eff1f3; border-radius: 6px; padding: .2em .4em; font-size: 85%; }
  h2 { border-bottom: 1px solid #d1d9e0; padding-bottom: .3em; }
</style>
${summaries.map((summary) => `<section>${marked.parse(summary, { gfm: true, async: false })}</section>`).join('\n')}`;
const htmlFile = path.join(out, 'summary-preview.html');
writeFileSync(htmlFile, html);
console.log(`wrote ${htmlFile}`);

if (existsSync('/usr/bin/chromium')) {
  progress('screenshot with chromium');
  const png = path.join(out, 'summary-preview.png');
  execFileSync(
    '/usr/bin/chromium',
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${path.join(out, 'chromium-profile')}`,
      '--window-size=1280,2400',
      `--screenshot=${png}`,
      `file://${htmlFile}`,
    ],
    { stdio: 'ignore' },
  );
  console.log(`wrote ${png}`);
}
