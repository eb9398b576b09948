// Revoke mode: revoke every managed key of each target slot — retiring a repository, answering an incident.
import type { Config } from './config.ts';
import type { ApiKey, KeyService } from './key-service.ts';
import type { SlotResult } from './results.ts';
import type { RotationLog } from './rotate.ts';
import { errorMessage, rejections } from './service-error.ts';
import { isSlotKey } from './slots.ts';

export async function revokeAll(config: Config, deps: { keys: KeyService; log: RotationLog }): Promise<SlotResult[]> {
  const { keys } = deps;
  let listing: ApiKey[];
  try {
    [, listing] = await Promise.all([keys.whoami(), keys.listKeys()]);
  } catch (error) {
    return config.slots.map((slot) => ({
      target: slot.target,
      secretName: slot.secretName,
      status: 'failed',
      revokedKeys: [],
      keptKeys: [],
      error: errorMessage(error),
    }));
  }
  return Promise.all(
    config.slots.map(async (slot): Promise<SlotResult> => {
      const log = deps.log.forSlot(slot.target);
      const live = listing.filter((key) => !key.revoked && isSlotKey(key.name, slot, config.keyNamePrefix));
      const base = { target: slot.target, secretName: slot.secretName, keptKeys: [] };
      try {
        if (config.dryRun) {
          const note = `dry-run: would revoke ${live.length} key(s)${live.length ? `: ${live.map((key) => key.name).join(', ')}` : ''}`;
          log.info(note);
          return { ...base, status: 'planned', revokedKeys: live, note };
        }
        const outcomes = await Promise.allSettled(live.map((key) => keys.revokeKey(key.id)));
        const revokedKeys = live.filter((_, i) => outcomes[i]!.status === 'fulfilled');
        for (const key of revokedKeys) log.info(`Revoked ${key.name} (id ${key.id}).`);
        const failures = rejections(outcomes);
        if (failures.length > 0) {
          return {
            ...base,
            status: 'failed',
            revokedKeys,
            error: `revocation: ${failures.length} of ${live.length} key(s) could not be revoked (${failures[0]}); run again to retry`,
          };
        }
        const note = live.length ? undefined : 'no managed keys found';
        if (note) log.info(`No managed keys of ${slot.secretName} found for ${slot.target}.`);
        return { ...base, status: 'revoked', revokedKeys, note };
      } finally {
        log.done();
      }
    }),
  );
}
