// The post step: revoke the key mint mode made for this job, whatever the job's outcome. Best effort:
// a failure here is a warning, and a key that already expired is left alone.
import * as core from '@actions/core';
import { parseConfig } from './config.ts';
import { STATE, kubiyaClient, maskCredentials } from './main.ts';
import { errorMessage } from './service-error.ts';

export async function runPost(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  maskCredentials();
  const keyId = core.getState(STATE.keyId);
  if (!keyId) return; // not mint mode, revoke-on-exit false, or nothing was minted
  const expiresAt = new Date(core.getState(STATE.expiresAt));
  if (expiresAt.getTime() <= Date.now()) {
    core.info(`The job's Kubiya key ${keyId} already expired at ${expiresAt.toISOString()}; nothing to revoke.`);
    return;
  }
  try {
    await kubiyaClient(
      parseConfig((name) => core.getInput(name), env),
      env,
    ).revokeKey(keyId);
    core.info(`Revoked the job's Kubiya key ${keyId}.`);
  } catch (error) {
    core.warning(
      `Could not revoke the job's Kubiya key ${keyId}: ${errorMessage(error)}. It expires on its own at ${expiresAt.toISOString()}.`,
    );
  }
}
