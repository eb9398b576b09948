// A managed key's life, as every mode lives it: minted for a slot, a create whose answer was lost reconciled, and
// revoked. Which keys to revoke is decided elsewhere (revocation.ts); this module carries it out.
import { limiter } from './concurrency.ts';
import type { ApiKey, KeyService, MintedKey, Reconcile } from './key-service.ts';
import { ServiceError, errorMessage } from './service-error.ts';
import type { SlotLog } from './slot-run.ts';
import { isKeyOfMint, keyDescription, managedKeyName, type Run, type Slot } from './slots.ts';

/** Revocations in flight at once, across every slot of a run; a rate limit met by one paces the others (kubiya/http.ts). */
const REVOCATIONS_IN_FLIGHT = 8;
/** A server-given expiry further than this from the requested one is worth a warning. */
const EXPIRY_TOLERANCE_MS = 10 * 60_000;

interface Revocations {
  revoked: ApiKey[];
  failed: { key: ApiKey; reason: string }[];
}

export interface SlotKeyRequest {
  slot: Slot;
  keyNamePrefix: string;
  run: Run;
  ttlMs: number;
  /** the create call's own id, carried in the key's description (slots.ts isKeyOfMint) */
  mintId: string;
}

export class KeyLifecycle {
  private readonly keys: KeyService;
  private readonly now: () => Date;
  private readonly bounded = limiter(REVOCATIONS_IN_FLIGHT);

  constructor(keys: KeyService, now: () => Date) {
    this.keys = keys;
    this.now = now;
  }

  /** Rejects with why not; a create that may have made a key without answering is reconciled first, so nothing it made is left behind. */
  async mint({ slot, keyNamePrefix, run, ttlMs, mintId }: SlotKeyRequest, log: SlotLog): Promise<MintedKey> {
    const name = managedKeyName(slot, keyNamePrefix, run);
    const expiresAt = new Date(this.now().getTime() + ttlMs);
    const minted = await this.keys.createKey(
      { name, description: keyDescription(slot, run, mintId), mintId, expiresAt, ttlMs },
      lostCreateReconciler(this.keys, name, mintId, this.bounded),
    );
    log.info(`Minted ${minted.name} (id ${minted.id}), expires ${minted.expiresAt.toISOString()}`);
    if (Math.abs(minted.expiresAt.getTime() - expiresAt.getTime()) > EXPIRY_TOLERANCE_MS) {
      log.warning(
        `Kubiya gave key ${minted.name} the expiry ${minted.expiresAt.toISOString()}, not the ${expiresAt.toISOString()} ` +
          'asked for (ttl): it ignored or rounded the requested lifetime. The expiry reported is the one Kubiya gave.',
      );
    }
    return minted;
  }

  /** Revokes each key, a bounded number at a time across the run; a key that is already gone counts as revoked. */
  async revoke(list: readonly ApiKey[]): Promise<Revocations> {
    const outcomes = await Promise.allSettled(list.map((key) => this.bounded(() => this.keys.revokeKey(key.id))));
    const revocations: Revocations = { revoked: [], failed: [] };
    outcomes.forEach((outcome, index) => {
      if (outcome.status === 'fulfilled') revocations.revoked.push(list[index]!);
      else revocations.failed.push({ key: list[index]!, reason: errorMessage(outcome.reason) });
    });
    return revocations;
  }

  /** Revoke a key this run minted (and any duplicate of it), and say how that went, for the failure message. */
  async revokeMinted(minted: MintedKey, duplicates: ApiKey[] = []): Promise<{ revoked: boolean; text: string }> {
    const { failed } = await this.revoke([{ ...minted, revoked: false }, ...duplicates]);
    const what = duplicates.length
      ? `the new key ${minted.name} (and ${duplicates.length} duplicate(s) of it)`
      : `the new key ${minted.name}`;
    if (failed.length === 0) return { revoked: true, text: `${what} was revoked` };
    return { revoked: false, text: `${what} could NOT be revoked (${failed[0]!.reason}); it expires ${minted.expiresAt.toISOString()}` };
  }
}

/** What a create call with this name and mint id did without confirming it: every live key it may have made, revoked. */
export function lostCreateReconciler(
  keys: KeyService,
  name: string,
  mintId: string,
  bounded: <R>(fn: () => Promise<R>) => Promise<R> = (fn) => fn(),
): Reconcile {
  return async (createdId) => {
    let listing: ApiKey[];
    try {
      listing = await keys.listKeys();
    } catch (error) {
      throw new ServiceError(
        `Kubiya may have created key ${name} without confirming it, and the key list to find it failed ` +
          `(${errorMessage(error)}); the next rotation (in mint mode, the post step) revokes any key with that name, and it expires on its own`,
      );
    }
    const strays = listing.filter((key) => !key.revoked && (isKeyOfMint(key, name, mintId) || key.id === createdId));
    await Promise.all(strays.map((key) => bounded(() => keys.revokeKey(key.id))));
  };
}
