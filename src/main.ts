// The main step: mask, read and validate inputs, build the services, run the mode, report.
import * as core from '@actions/core';
import { audit, describeAudit, reportFindings } from './audit-run.ts';
import { parseConfig, type Config } from './config.ts';
import { formatDuration } from './duration.ts';
import type { KeyService } from './key-service.ts';
import type { GitHubSecretStore } from './github/secrets.ts';
import { kubiyaClient } from './kubiya/client.ts';
import { mint } from './mint.ts';
import { resultsJson, type SlotResult } from './results.ts';
import { requestSettings } from './retry.ts';
import { revokeAll } from './revoke.ts';
import { rotate } from './rotate.ts';
import { errorMessage } from './service-error.ts';
import { groupedLog, stepLog } from './step-log.ts';
import { renderAuditSummary, renderSummary } from './summary.ts';

const SLOTS_IN_FLIGHT = 8;
const now = () => new Date();

const TITLES: Record<Config['mode'], string> = {
  rotate: 'Kubiya API key rotation',
  mint: 'Kubiya API key for this job',
  revoke: 'Kubiya API key revocation',
  audit: 'Kubiya API key audit',
};

export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  maskCredentials();
  try {
    const config = parseConfig((name) => core.getInput(name), env);
    const keys = kubiyaClient(config, requestSettings(env), (secret) => core.setSecret(secret));
    stepLog.info(describe(config));
    let results: SlotResult[];
    if (config.mode === 'rotate') {
      const secrets = await secretStore(config, env);
      if (config.dryRun && !secrets) stepLog.info('Dry-run without github-token: the GitHub access check is skipped.');
      results = await rotate(config, { keys, secrets, log: groupedLog(), now, concurrency: SLOTS_IN_FLIGHT });
    } else if (config.mode === 'mint') {
      results = [await mintForJob(config, keys)];
    } else if (config.mode === 'audit') {
      const secrets = await secretStore(config, env);
      results = await audit(config, { keys, secrets, log: groupedLog(), now, concurrency: SLOTS_IN_FLIGHT });
    } else {
      results = await revokeAll(config, { keys, log: groupedLog() });
    }
    setOutputs(results);
    await writeSummary(results, config, env);
    reportFailures(results);
    if (config.mode === 'audit') reportFindings(results, config.failOn ?? []);
  } catch (error) {
    stepLog.fail(errorMessage(error));
  }
}

/** Masks the credentials before anything else happens (the post step does the same). */
function maskCredentials(): void {
  for (const name of ['admin-api-key', 'github-token']) {
    const value = core.getInput(name);
    if (value) core.setSecret(value);
  }
}

/** The GitHub side (Octokit, its plugins, libsodium) is loaded only here: mint and revoke never load it. */
async function secretStore(config: Config, env: NodeJS.ProcessEnv): Promise<GitHubSecretStore | undefined> {
  if (!config.githubToken) return undefined;
  const [{ createOctokit }, { GitHubSecretStore }] = await Promise.all([import('./github/client.ts'), import('./github/secrets.ts')]);
  const octokit = createOctokit({
    token: config.githubToken,
    baseUrl: config.githubApiUrl,
    ...requestSettings(env),
    warn: (message) => stepLog.warning(message),
  });
  return new GitHubSecretStore(octokit);
}

function describe(config: Config): string {
  const plan = config.dryRun ? 'Planning' : 'Running';
  if (config.mode === 'audit') return describeAudit(config);
  const ttl = config.mode === 'revoke' ? '' : `, ttl ${formatDuration(config.ttlMs)}`;
  const grace =
    config.mode === 'rotate' ? `, grace period ${formatDuration(config.gracePeriodMs)}, revoke-previous ${config.revokePrevious}` : '';
  return `${plan} mode ${config.mode} for ${config.slots.map((slot) => slot.target).join(', ')}${ttl}${grace}.`;
}

async function mintForJob(config: Config, keys: KeyService): Promise<SlotResult> {
  const log = groupedLog().forSlot(`${config.slots[0]!.scope}`);
  const state = { save: (name: string, value: string) => core.saveState(name, value), get: (name: string) => core.getState(name) };
  const { result, minted } = await mint(config, { keys, log, now, state });
  log.done();
  if (minted) {
    core.setOutput('api-key', minted.token);
    if (config.exportEnv) core.exportVariable(config.exportEnv, minted.token);
    stepLog.info(
      (config.exportEnv ? `Exported the key to later steps as ${config.exportEnv}. ` : '') +
        (config.revokeOnExit
          ? 'The post step revokes it when the job ends.'
          : `revoke-on-exit is false: it lives until ${minted.expiresAt.toISOString()}.`),
    );
  }
  return result;
}

function setOutputs(results: SlotResult[]): void {
  const only = results.length === 1 ? results[0] : undefined;
  if (only && ['rotated', 'minted', 'planned'].includes(only.status)) {
    if (only.keyId) core.setOutput('key-id', only.keyId);
    if (only.keyName) core.setOutput('key-name', only.keyName);
    if (only.expiresAt) core.setOutput('expires-at', only.expiresAt.toISOString());
  }
  const revoked = results.filter((result) => result.status !== 'planned').flatMap((result) => result.revokedKeys.map((key) => key.id));
  core.setOutput('revoked-key-ids', revoked.join(','));
  core.setOutput('results', resultsJson(results));
}

async function writeSummary(results: SlotResult[], config: Config, env: NodeJS.ProcessEnv): Promise<void> {
  if (!env['GITHUB_STEP_SUMMARY']) return;
  const title = TITLES[config.mode];
  const summary =
    config.mode === 'audit'
      ? renderAuditSummary(results, { title, now: now(), failOn: config.failOn ?? [] })
      : renderSummary(results, {
          title,
          dryRun: config.dryRun,
          keptBecause: config.revokePrevious
            ? `inside the grace period (${formatDuration(config.gracePeriodMs)})`
            : 'revoke-previous is false',
        });
  await core.summary.addRaw(summary).write();
}

function reportFailures(results: SlotResult[]): void {
  const failures = results.filter((result) => result.status === 'failed');
  if (failures.length === 0) return;
  if (results.length === 1) {
    stepLog.fail(`${failures[0]!.target}: ${failures[0]!.error}`);
    return;
  }
  for (const failure of failures) stepLog.error(`${failure.target}: ${failure.error}`);
  stepLog.fail(
    `${failures.length} of ${results.length} targets failed: ${failures.map((failure) => failure.target).join(', ')} (details above and in the job summary)`,
  );
}
