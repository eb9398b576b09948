// Revoke mode: every managed key of each target — retiring a repository, answering an incident — and a
// repository's mint-mode job keys with it. No GitHub access needed.
import { parseKeyInputs, parseSecretSlots, parseStoreInputs, type GitLabInputs, type Inputs, type KeyInputs } from '../inputs.ts';
import type { KeyService } from '../key-service.ts';
import { KeyLifecycle } from '../key-lifecycle.ts';
import { slotResult, type SlotResult } from '../results.ts';
import { retiredKeys } from '../revocation.ts';
import type { Runner } from '../runner.ts';
import { groupedLog, runSlots, type RunLog } from '../slot-run.ts';
import type { SecretSlot } from '../slots.ts';
import { finishRun, startRun } from './frame.ts';

export interface RevokeConfig extends KeyInputs {
  mode: 'revoke';
  slots: SecretSlot[];
  /** with the GitLab store and its token: only to report the token's expiry (revoke writes nothing there) */
  gitlab?: GitLabInputs;
}

export function parse(input: Inputs, env: NodeJS.ProcessEnv): RevokeConfig {
  const common = parseKeyInputs(input, env);
  const gitlab = input('store') === 'gitlab' && input('gitlab-token') ? parseStoreInputs(input, env).gitlab : undefined;
  return { ...common, mode: 'revoke', slots: parseSecretSlots(input, common.run, common.secretName), ...(gitlab && { gitlab }) };
}

export async function run(runner: Runner): Promise<void> {
  const config = parse(runner.input, runner.env);
  runner.log.info(`${config.dryRun ? 'Planning' : 'Running'} mode revoke for ${config.slots.map((slot) => slot.target).join(', ')}.`);
  const { footing, keys } = startRun(config, runner);
  const results = await revokeAll(config, { keys, log: groupedLog(runner), now: () => new Date() });
  await finishRun(runner, footing, results, { title: 'Kubiya API key revocation', dryRun: config.dryRun });
}

export async function revokeAll(config: RevokeConfig, deps: { keys: KeyService; log: RunLog; now: () => Date }): Promise<SlotResult[]> {
  // One pool of revocations for every slot's keys (key-lifecycle.ts), whatever the number of slots.
  const lifecycle = new KeyLifecycle(deps.keys, deps.now);
  return runSlots({ ...deps, slots: config.slots }, async (slot, { listing, log }) => {
    const live = retiredKeys(listing, slot, config.keyNamePrefix);
    if (config.dryRun) {
      const note = `dry-run: would revoke ${live.length} key(s)${live.length ? `: ${live.map((key) => key.name).join(', ')}` : ''}`;
      log.info(note);
      return slotResult(slot, 'planned', { revokedKeys: live, note });
    }
    const { revoked, failed } = await lifecycle.revoke(live);
    for (const key of revoked) log.info(`Revoked ${key.name} (id ${key.id}).`);
    if (failed.length > 0) {
      return slotResult(slot, 'failed', {
        revokedKeys: revoked,
        error:
          `revocation: ${failed.length} of ${live.length} key(s) could not be revoked: ${failed.map(({ key }) => key.name).join(', ')} ` +
          `(${failed[0]!.reason}); run again to retry`,
      });
    }
    if (live.length === 0) log.info(`No managed keys of ${slot.secretName} found for ${slot.target}.`);
    return slotResult(slot, 'revoked', { revokedKeys: revoked, note: live.length ? undefined : 'no managed keys found' });
  });
}
