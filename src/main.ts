// The main step: mask, read and validate inputs, build the services, run the mode, report.
import * as core from '@actions/core';
import { parseConfig, type Config } from './config.ts';
import { formatDuration } from './duration.ts';
import { createOctokit } from './github/client.ts';
import { GitHubSecretStore } from './github/secrets.ts';
import { KubiyaClient } from './kubiya/client.ts';
import { mint } from './mint.ts';
import { resultsJson, type SlotResult } from './results.ts';
import { DEFAULT_RETRY } from './retry.ts';
import { revokeAll } from './revoke.ts';
import { rotate, type RotationLog } from './rotate.ts';
import { errorMessage } from './service-error.ts';
import { renderSummary } from './summary.ts';

const USER_AGENT = 'kubiya-api-key-action/1';
const SLOTS_IN_FLIGHT = 8;
const now = () => new Date();

/** What the post step needs to revoke a minted key: never the key itself. */
export const STATE = { keyId: 'key-id', expiresAt: 'expires-at' } as const;

const TITLES: Record<Config['mode'], string> = {
  rotate: 'Kubiya API key rotation',
  mint: 'Kubiya API key for this job',
  revoke: 'Kubiya API key revocation',
};

export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  maskCredentials();
  try {
    const config = parseConfig((name) => core.getInput(name), env);
    const keys = kubiyaClient(config, env);
    core.info(describe(config));
    let results: SlotResult[];
    if (config.mode === 'rotate') {
      const secrets = secretStore(config, env);
      if (config.dryRun && !secrets) core.info('Dry-run without github-token: the GitHub access check is skipped.');
      results = await rotate(config, { keys, secrets, log: groupedLog(), now, concurrency: SLOTS_IN_FLIGHT });
    } else if (config.mode === 'mint') {
      results = [await mintForJob(config, keys)];
    } else {
      results = await revokeAll(config, { keys, log: groupedLog() });
    }
    setOutputs(results);
    await writeSummary(results, config);
    reportFailures(results);
  } catch (error) {
    core.setFailed(errorMessage(error));
  }
}

export function maskCredentials(): void {
  for (const name of ['admin-api-key', 'github-token']) {
    const value = core.getInput(name);
    if (value) core.setSecret(value);
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

export function kubiyaClient(config: Config, env: NodeJS.ProcessEnv): KubiyaClient {
  const { timeoutMs, retryBaseMs } = timing(env);
  return new KubiyaClient({
    baseUrl: config.kubiyaApiUrl,
    adminKey: config.adminApiKey,
    onSecret: (secret) => core.setSecret(secret),
    timeoutMs,
    retry: { ...DEFAULT_RETRY, baseMs: retryBaseMs },
    userAgent: USER_AGENT,
  });
}

function secretStore(config: Config, env: NodeJS.ProcessEnv): GitHubSecretStore | undefined {
  if (!config.githubToken) return undefined;
  const { timeoutMs, retryBaseMs } = timing(env);
  const octokit = createOctokit({
    token: config.githubToken,
    baseUrl: config.githubApiUrl,
    timeoutMs,
    retry: { ...DEFAULT_RETRY, baseMs: retryBaseMs },
    userAgent: USER_AGENT,
    warn: (message) => core.warning(message),
  });
  return new GitHubSecretStore(octokit);
}

function describe(config: Config): string {
  const plan = config.dryRun ? 'Planning' : 'Running';
  const ttl = config.mode === 'revoke' ? '' : `, ttl ${formatDuration(config.ttlMs)}`;
  const grace =
    config.mode === 'rotate' ? `, grace period ${formatDuration(config.gracePeriodMs)}, revoke-previous ${config.revokePrevious}` : '';
  return `${plan} mode ${config.mode} for ${config.slots.map((slot) => slot.target).join(', ')}${ttl}${grace}.`;
}

async function mintForJob(config: Config, keys: KubiyaClient): Promise<SlotResult> {
  const log = groupedLog().forSlot(`${config.slots[0]!.scope}`);
  const { result, minted } = await mint(config, {
    keys,
    log,
    now,
    remember: (key) => {
      if (!config.revokeOnExit) return;
      core.saveState(STATE.keyId, key.id);
      core.saveState(STATE.expiresAt, key.expiresAt.toISOString());
    },
  });
  log.done();
  if (minted) {
    core.setOutput('api-key', minted.token);
    if (config.exportEnv) core.exportVariable(config.exportEnv, minted.token);
    core.info(
      (config.exportEnv ? `Exported the key to later steps as ${config.exportEnv}. ` : '') +
        (config.revokeOnExit
          ? 'The post step revokes it when the job ends.'
          : `revoke-on-exit is false: it lives until ${minted.expiresAt.toISOString()}.`),
    );
  }
  return result;
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
  if (only && ['rotated', 'minted', 'planned'].includes(only.status)) {
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
  await core.summary.addRaw(renderSummary(results, { title: TITLES[config.mode], dryRun: config.dryRun })).write();
}

function reportFailures(results: SlotResult[]): void {
  const failures = results.filter((result) => result.status === 'failed');
  if (failures.length === 0) return;
  if (results.length === 1) {
    core.setFailed(`${failures[0]!.target}: ${failures[0]!.error}`);
    return;
  }
  for (const failure of failures) core.error(`${failure.target}: ${failure.error}`);
  core.setFailed(
    `${failures.length} of ${results.length} targets failed: ${failures.map((failure) => failure.target).join(', ')} (details above and in the job summary)`,
  );
}
