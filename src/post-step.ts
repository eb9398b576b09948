// The post step: revoke the key mint mode made for this job (mint.ts revokeJobKey). Only the Kubiya client
// is loaded here: nothing of the main step.
import * as core from '@actions/core';
import { parseConfig } from './config.ts';
import { kubiyaClient } from './kubiya/client.ts';
import { hasJobKey, revokeJobKey } from './mint.ts';
import { requestSettings } from './retry.ts';
import { errorMessage } from './service-error.ts';
import { stepLog } from './step-log.ts';

export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const adminApiKey = core.getInput('admin-api-key');
  if (adminApiKey) core.setSecret(adminApiKey);
  const state = { save: (name: string, value: string) => core.saveState(name, value), get: (name: string) => core.getState(name) };
  if (!hasJobKey(state)) return; // not mint mode, revoke-on-exit false, or the step stopped before minting
  try {
    const config = parseConfig((name) => core.getInput(name), env);
    const keys = kubiyaClient(config, requestSettings(env), (secret) => core.setSecret(secret));
    await revokeJobKey({ keys, state, log: stepLog, now: () => new Date() });
  } catch (error) {
    stepLog.warning(`The post step could not revoke the job's Kubiya key: ${errorMessage(error)}`);
  }
}
