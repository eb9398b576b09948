// npm run summary:preview: renders the job summaries of a few sandbox runs (rotation with a revoked key, a
// partial failure, a dry-run plan, mint, revoke) as GitHub renders Markdown, to look at them as a user
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
} finally {
  await sandbox.close();
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
