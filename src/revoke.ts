// Revoking keys: revoke mode (every managed key of each target — retiring a repository, answering an
// incident), and the revocation requests every mode sends, a bounded number at a time.
import { mapBounded } from './concurrency.ts';
import type { Config } from './config.ts';
import type { ApiKey, KeyService, MintedKey } from './key-service.ts';
import { slotResult, type SlotResult } from './results.ts';
import type { RotationLog } from './rotate.ts';
import { errorMessage } from './service-error.ts';
import { isJobKeyOf, isSlotKey, type Slot } from './slots.ts';

/** Revocations in flight at once; a rate limit met by one pauses the others (kubiya/http.ts). */
const REVOCATIONS_IN_FLIGHT = 8;

export interface Revocations {
  revoked: ApiKey[];
  failed: { key: ApiKey; reason: string }[];
}

export async function revokeKeys(keys: KeyService, list: ApiKey[]): Promise<Revocations> {
  const reasons = await mapBounded(list, REVOCATIONS_IN_FLIGHT, (key) =>
    keys.revokeKey(key.id).then(
      () => undefined,
      (error: unknown) => errorMessage(error),
    ),
  );
  return {
    revoked: list.filter((_, index) => reasons[index] === undefined),
    failed: list.flatMap((key, index) => (reasons[index] === undefined ? [] : [{ key, reason: reasons[index] }])),
  };
}

/** Revoke a key this run minted (and any duplicate of it), and say how that went, for the failure message. */
export async function revokeNewKey(
  keys: KeyService,
  minted: MintedKey,
  duplicates: ApiKey[] = [],
): Promise<{ revoked: boolean; text: string }> {
  const { failed } = await revokeKeys(keys, [{ ...minted, revoked: false }, ...duplicates]);
  const what = duplicates.length
    ? `the new key ${minted.name} (and ${duplicates.length} duplicate(s) of it)`
    : `the new key ${minted.name}`;
  if (failed.length === 0) return { revoked: true, text: `${what} was revoked` };
  return { revoked: false, text: `${what} could NOT be revoked (${failed[0]!.reason}); it expires ${minted.expiresAt.toISOString()}` };
}

/** The keys revoke mode revokes for a slot: its own, and for a repository its mint-mode job keys too. */
function keysToRevoke(listing: ApiKey[], slot: Slot, prefix: string): ApiKey[] {
  return listing.filter(
    (key) => !key.revoked && (isSlotKey(key.name, slot, prefix) || (slot.kind === 'repository' && isJobKeyOf(key.name, slot, prefix))),
  );
}

export async function revokeAll(config: Config, deps: { keys: KeyService; log: RotationLog }): Promise<SlotResult[]> {
  const { keys } = deps;
  let listing: ApiKey[];
  try {
    [, listing] = await Promise.all([keys.authenticate(), keys.listKeys()]);
  } catch (error) {
    return config.slots.map((slot) => slotResult(slot, 'failed', { error: errorMessage(error) }));
  }
  const targets = config.slots.map((slot) => ({ slot, live: keysToRevoke(listing, slot, config.keyNamePrefix) }));
  // One pool for every slot's keys: REVOCATIONS_IN_FLIGHT at a time, whatever the number of slots.
  const done = config.dryRun
    ? undefined
    : await revokeKeys(
        keys,
        targets.flatMap(({ live }) => live),
      );
  return targets.map(({ slot, live }) => {
    const log = deps.log.forSlot(slot.target);
    try {
      if (!done) {
        const note = `dry-run: would revoke ${live.length} key(s)${live.length ? `: ${live.map((key) => key.name).join(', ')}` : ''}`;
        log.info(note);
        return slotResult(slot, 'planned', { revokedKeys: live, note });
      }
      const revoked = done.revoked.filter((key) => live.includes(key));
      const failed = done.failed.filter(({ key }) => live.includes(key));
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
    } finally {
      log.done();
    }
  });
}
