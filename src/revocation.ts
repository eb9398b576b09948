// Which of a slot's keys a rotation revokes. Pure: decided from one key listing and the clock.
import type { ApiKey } from './key-service.ts';
import { runOfKeyName } from './slots.ts';

export interface RevocationPlan {
  /** superseded keys due for revocation now */
  revoke: ApiKey[];
  /** superseded keys left alone: inside the grace period, or revoke-previous is false */
  keep: ApiKey[];
  /** live keys of the slot created after this run's key: a newer run owns the slot */
  newer: ApiKey[];
  /** other live keys with this run's own key name: a create that took effect after its answer was lost */
  duplicates: ApiKey[];
}

/** Creation order; keys created in the same instant fall back to the run id and attempt in their names. */
export function compareKeys(a: ApiKey, b: ApiKey): number {
  const byTime = (a.createdAt?.getTime() ?? 0) - (b.createdAt?.getTime() ?? 0);
  if (a.createdAt && b.createdAt && byTime !== 0) return byTime;
  const runA = runOfKeyName(a.name);
  const runB = runOfKeyName(b.name);
  if (runA && runB && runA.runId !== runB.runId) return runA.runId < runB.runId ? -1 : 1;
  if (runA && runB && runA.attempt !== runB.attempt) return runA.attempt - runB.attempt;
  return byTime || a.id.localeCompare(b.id);
}

/**
 * `slotKeys` are the slot's listed keys (this run's own key among them or not); `own` is this run's key.
 * A superseded key is revoked once its successor — the next newer key of the slot — is older than the
 * grace period, so jobs that read the old secret before the rotation can finish.
 */
export function planRevocation(options: {
  slotKeys: ApiKey[];
  own: ApiKey;
  now: Date;
  gracePeriodMs: number;
  revokePrevious: boolean;
}): RevocationPlan {
  const { own, now, gracePeriodMs, revokePrevious } = options;
  const live = options.slotKeys.filter((key) => key.id !== own.id && !key.revoked);
  const duplicates = live.filter((key) => key.name === own.name);
  const others = live.filter((key) => key.name !== own.name);
  const newer = others.filter((key) => compareKeys(key, own) > 0);
  const older = others.filter((key) => compareKeys(key, own) < 0).sort(compareKeys);
  const plan: RevocationPlan = { revoke: [], keep: [], newer, duplicates };
  older.forEach((key, index) => {
    const successor = older[index + 1] ?? own;
    const successorAge = now.getTime() - (successor.createdAt ?? now).getTime();
    const due = revokePrevious && (gracePeriodMs === 0 || successorAge > gracePeriodMs);
    (due ? plan.revoke : plan.keep).push(key);
  });
  return plan;
}
