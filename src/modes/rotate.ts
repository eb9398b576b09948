// Rotate mode: for each target secret, a new key minted, verified, sealed into the secret, and the keys it
// superseded revoked (src/rotation.ts tells one slot's story). In a dry-run, the plan.
import { formatDuration } from '../duration.ts';
import {
  InputError,
  parseBoolean,
  parseDurationInput,
  parseKeyInputs,
  parseSecretSlots,
  parseStoreInputs,
  parseTtl,
  storeToken,
  type Inputs,
  type KeyInputs,
  type StoreInputs,
} from '../inputs.ts';
import { keepScheduleAlive, parseKeepAliveInputs, type KeepAliveInputs } from '../keep-alive.ts';
import { KeyLifecycle } from '../key-lifecycle.ts';
import type { SlotResult } from '../results.ts';
import { SlotRotation, type RotationDeps, type RotationSettings } from '../rotation.ts';
import type { Runner } from '../runner.ts';
import type { SecretStore } from '../secret-store.ts';
import { secretStoreFor, STORE_NAMES } from '../services.ts';
import { groupedLog, runSlots, type RunLog } from '../slot-run.ts';
import type { SecretSlot } from '../slots.ts';
import { finishRun, startRun } from './frame.ts';

export interface RotateConfig extends KeyInputs, StoreInputs, RotationSettings, KeepAliveInputs {
  mode: 'rotate';
  slots: SecretSlot[];
}

export function parse(input: Inputs, env: NodeJS.ProcessEnv): RotateConfig {
  const common = parseKeyInputs(input, env);
  const store = parseStoreInputs(input, env);
  if (!common.dryRun && !storeToken(store)) {
    if (store.store === 'gitlab') {
      throw new InputError(
        "Input 'gitlab-token' is required by mode 'rotate' (unless dry-run is true): pass a project, group or personal access " +
          'token with the api scope and the Maintainer role.',
      );
    }
    throw new InputError(
      "Input 'github-token' is required by mode 'rotate' (unless dry-run is true): pass a fine-grained personal access " +
        'token with the repository permission "Secrets: Read and write", or a GitHub App token with that permission. ' +
        'The default GITHUB_TOKEN cannot write secrets.',
    );
  }
  return {
    ...common,
    ...store,
    mode: 'rotate',
    slots: parseSecretSlots(input, common.run, common.secretName),
    ttlMs: parseTtl(input, '30d'),
    gracePeriodMs: parseDurationInput('grace-period', input('grace-period') || '0', 0),
    revokePrevious: parseBoolean(input, 'revoke-previous', true),
    verify: parseBoolean(input, 'verify', true),
    ...parseKeepAliveInputs(input),
  };
}

export async function run(runner: Runner): Promise<void> {
  const config = parse(runner.input, runner.env);
  runner.log.info(
    `${config.dryRun ? 'Planning' : 'Running'} mode rotate for ${config.slots.map((slot) => slot.target).join(', ')}, ` +
      `ttl ${formatDuration(config.ttlMs)}, grace period ${formatDuration(config.gracePeriodMs)}, revoke-previous ${config.revokePrevious}.`,
  );
  const { footing, keys } = startRun(config, runner);
  const secrets = await secretStoreFor(config, runner, footing.gitHubAnswered);
  if (config.dryRun && !secrets)
    runner.log.info(`Dry-run without ${config.store}-token: the ${STORE_NAMES[config.store]} access check is skipped.`);
  const results = await rotate(config, { keys, secrets, log: groupedLog(runner), now: () => new Date() });
  const keptBecause = config.revokePrevious
    ? `inside the grace period (${formatDuration(config.gracePeriodMs)})`
    : 'revoke-previous is false';
  await finishRun(runner, footing, results, { title: 'Kubiya API key rotation', dryRun: config.dryRun, keptBecause });
  await keepScheduleAlive(config, runner);
}

export interface RotateDeps extends Omit<RotationDeps, 'lifecycle'> {
  /** absent in a dry-run without the store's token: the access check is skipped */
  secrets?: SecretStore<unknown>;
  log: RunLog;
}

/** Every slot rotated (or planned): one opening round trip — the admin key, one listing, each secret's public key. */
export async function rotate(config: RotateConfig, deps: RotateDeps): Promise<SlotResult[]> {
  const { secrets } = deps;
  const slotDeps = { ...deps, lifecycle: new KeyLifecycle(deps.keys, deps.now) };
  const prepare = secrets && ((slot: SecretSlot) => secrets.prepare(slot));
  return runSlots({ ...deps, slots: config.slots, prepare }, async (slot, { listing, prepared, log }) => {
    const rotation = new SlotRotation(config, slotDeps, slot, log);
    if (config.dryRun || !secrets || !prepared) {
      const token = `${config.store}-token`;
      const access = prepared
        ? `${token} can read there; only the write shows whether it may write`
        : `${STORE_NAMES[config.store]} access not checked: no ${token} given`;
      return rotation.plan(listing, access);
    }
    return rotation.run(secrets, prepared);
  });
}
