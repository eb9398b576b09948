// The main step: mask, read and validate inputs, build the two services, rotate, report.
import * as core from '@actions/core';
import { parseConfig, type Config } from './config.ts';
import { formatDuration } from './duration.ts';
import { createOctokit } from './github/client.ts';
import { RepositorySecretStore } from './github/secrets.ts';
import { KubiyaClient } from './kubiya/client.ts';
import { resultsJson, type SlotResult } from './results.ts';
import { DEFAULT_RETRY } from './retry.ts';
import { rotate, type RotationLog } from './rotate.ts';
import { errorMessage } from './service-error.ts';
import { renderSummary } from './summary.ts';

const USER_AGENT = 'kubiya-api-key-action/1';
const SLOTS_IN_FLIGHT = 8;

export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  // Mask the credentials before anything else can print them.
  for (const name of ['admin-api-key', 'github-token']) {
    const value = core.getInput(name);
    if (value) core.setSecret(value);
  }
  try {
    const config = parseConfig((name) => core.getInput(name), env);
    const results = await rotate(config, { ...services(config, env), log: groupedLog(), now: () => new Date(), concurrency: SLOTS_IN_FLIGHT });
    setOutputs(results);
    await writeSummary(results, config);
    reportFailures(results);
  } catch (error) {
    core.setFailed(errorMessage(error));
  }
}

/** Test hooks: the emulator tests shorten the 30 s request timeout and the retry backoff. */
function timing(env: NodeJS.ProcessEnv) {
  const number = (name: string, fallback: number) => {
    const value = Number(env[name]);
    return Number.isFinite(value) && value > 0 ? value : fallback;
  };
  return {
    timeoutMs: number('KUBIYA_ACTION_REQUEST_TIMEOUT_MS', 30_000),
    retryBaseMs: number('KUBIYA_ACTION_RETRY_BASE_MS', 1_000),
  };
}

function services(config: Config, env: NodeJS.ProcessEnv) {
  const { timeoutMs, retryBaseMs } = timing(env);
  const keys = new KubiyaClient({
    baseUrl: config.kubiyaApiUrl,
    adminKey: config.adminApiKey,
    onSecret: (secret) => core.setSecret(secret),
    timeoutMs,
    retry: { ...DEFAULT_RETRY, baseMs: retryBaseMs },
    userAgent: USER_AGENT,
  });
  const secrets = config.githubToken
    ? new RepositorySecretStore(
        createOctokit({
          token: config.githubToken,
          baseUrl: config.githubApiUrl,
          timeoutMs,
          retryAfterBaseMs: retryBaseMs,
          maxRetryAfterSeconds: DEFAULT_RETRY.maxRetryAfterMs / 1000,
          userAgent: USER_AGENT,
          warn: (message) => core.warning(message),
        }),
      )
    : undefined;
  if (config.dryRun && !secrets) core.info('Dry-run without github-token: the GitHub access check is skipped.');
  core.info(
    `${config.dryRun ? 'Planning' : 'Rotating'} ${config.slots.length} target(s): ttl ${formatDuration(config.ttlMs)}, ` +
      `grace period ${formatDuration(config.gracePeriodMs)}, revoke-previous ${config.revokePrevious}, verify ${config.verify}.`,
  );
  return { keys, secrets };
}

/** Slots run in parallel; each one's lines are printed together as a group when it is done. */
function groupedLog(): RotationLog {
  return {
    forSlot(target) {
      const lines: { warning: boolean; text: string }[] = [];
      return {
        info: (text) => lines.push({ warning: false, text }),
        warning: (text) => lines.push({ warning: true, text }),
        done: () => {
          core.startGroup(target);
          for (const line of lines) (line.warning ? core.warning : core.info)(line.text);
          core.endGroup();
        },
      };
    },
  };
}

function setOutputs(results: SlotResult[]): void {
  const only = results.length === 1 ? results[0] : undefined;
  if (only && (only.status === 'rotated' || only.status === 'planned')) {
    if (only.keyId) core.setOutput('key-id', only.keyId);
    if (only.keyName) core.setOutput('key-name', only.keyName);
    if (only.expiresAt) core.setOutput('expires-at', only.expiresAt.toISOString());
  }
  const revoked = results.filter((result) => result.status !== 'planned').flatMap((result) => result.revokedKeys.map((key) => key.id));
  core.setOutput('revoked-key-ids', revoked.join(','));
  core.setOutput('results', resultsJson(results));
}

async function writeSummary(results: SlotResult[], config: Config): Promise<void> {
  if (!process.env['GITHUB_STEP_SUMMARY']) return;
  await core.summary.addRaw(renderSummary(results, { title: 'Kubiya API key rotation', dryRun: config.dryRun })).write();
}

function reportFailures(results: SlotResult[]): void {
  const failures = results.filter((result) => result.status === 'failed');
  if (failures.length === 0) return;
  if (results.length === 1) {
    core.setFailed(`${failures[0]!.target}: ${failures[0]!.error}`);
    return;
  }
  for (const failure of failures) core.error(`${failure.target}: ${failure.error}`);
  core.setFailed(`${failures.length} of ${results.length} targets failed: ${failures.map((failure) => failure.target).join(', ')} (details above and in the job summary)`);
}
