// Which keys a run revokes: a rotation's superseded keys (from one key listing and the clock), and everything
// revoke mode retires. Pure: the revoking itself is key-lifecycle.ts's.
import type { ApiKey, MintedKey } from './key-service.ts';
import { isJobKeyOf, isKeyOfMint, isSlotKey, type Slot } from './slots.ts';

/**
 * How long a freshly minted key may still be on its way into its secret. A run sends no write more than
 * half of it after its key was minted (each attempt times out in 30 s), so a key older than this
 * relative to a newer one can no longer land in the secret after the newer one did.
 */
export const IN_FLIGHT_WINDOW_MS = 10 * 60_000;
/** The last moment, after the create answered, that a run may send a write attempt. */
export const WRITE_DEADLINE_MS = IN_FLIGHT_WINDOW_MS / 2;

export interface RevocationPlan {
  /** superseded keys due for revocation now */
  revoke: ApiKey[];
  /** superseded keys left alone: inside the grace period, or revoke-previous is false */
  keep: ApiKey[];
  /** superseded keys of another run created within the in-flight window of this run's key: they may still be on their way into the secret */
  inFlight: ApiKey[];
  /** live keys of the slot created after this run's key: a newer run (or job) owns the slot */
  newer: ApiKey[];
  /** keys made by one of this run's own create attempts whose answer was lost: orphans, never in any secret */
  duplicates: ApiKey[];
}

/** Creation order by Kubiya's `created_at`, then id, so that every run orders the same keys the same way. */
export function compareKeys(a: ApiKey, b: ApiKey): number {
  const byTime = (a.createdAt?.getTime() ?? 0) - (b.createdAt?.getTime() ?? 0);
  if (byTime !== 0) return byTime;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Whether a listed key is an orphan of the create call that made `minted`: only when one of that call's
 * attempts went unanswered can it have made another key. A key with the same name from another job of
 * the same run is a peer, not a duplicate (slots.ts isKeyOfMint).
 */
export function isDuplicateOf(key: ApiKey, minted: Pick<MintedKey, 'id' | 'name' | 'mintId' | 'uncertain'>): boolean {
  return minted.uncertain && key.id !== minted.id && isKeyOfMint(key, minted.name, minted.mintId);
}

/**
 * `slotKeys` are the slot's listed keys (this run's own key among them or not); `own` is this run's key.
 * A superseded key is revoked once (1) it is older than this run's key by more than the in-flight window,
 * so no write of it can still land, and (2) its successor — the next newer key of the slot — is older than
 * the grace period, so jobs that read the old secret before the rotation can finish.
 */
export function planRevocation(options: {
  slotKeys: ApiKey[];
  own: ApiKey;
  now: Date;
  gracePeriodMs: number;
  revokePrevious: boolean;
  /** keys made by this run's own create (see isDuplicateOf) */
  isDuplicate?: (key: ApiKey) => boolean;
}): RevocationPlan {
  const { own, now, gracePeriodMs, revokePrevious, isDuplicate = () => false } = options;
  const live = options.slotKeys.filter((key) => key.id !== own.id && !key.revoked);
  const duplicates = live.filter(isDuplicate);
  const peers = live.filter((key) => !isDuplicate(key));
  const newer = peers.filter((key) => compareKeys(key, own) > 0);
  const older = peers.filter((key) => compareKeys(key, own) < 0).sort(compareKeys);
  const plan: RevocationPlan = { revoke: [], keep: [], inFlight: [], newer, duplicates };
  older.forEach((key, index) => {
    const successor = older[index + 1] ?? own;
    const successorAge = now.getTime() - (successor.createdAt ?? now).getTime();
    if (!revokePrevious || (gracePeriodMs > 0 && successorAge <= gracePeriodMs)) plan.keep.push(key);
    else if (!outsideWindow(key, own)) plan.inFlight.push(key);
    else plan.revoke.push(key);
  });
  return plan;
}

/** Both creation times known, and `key` older than `own` by more than the in-flight window. */
function outsideWindow(key: ApiKey, own: ApiKey): boolean {
  if (!key.createdAt || !own.createdAt) return false;
  return own.createdAt.getTime() - key.createdAt.getTime() > IN_FLIGHT_WINDOW_MS;
}

/** Revoke mode: every live managed key of the slot, and for a repository its mint-mode job keys too. */
export function retiredKeys(listing: readonly ApiKey[], slot: Slot, prefix: string): ApiKey[] {
  return listing.filter(
    (key) => !key.revoked && (isSlotKey(key.name, slot, prefix) || (slot.kind === 'repository' && isJobKeyOf(key.name, slot, prefix))),
  );
}
