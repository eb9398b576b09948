// One slot's rotation: mint a key, verify it while listing again, seal it into the secret, then revoke the keys
// it superseded — keeping, at every step, a key the action has not revoked in the secret, and every key it minted
// either stored or revoked. No I/O of its own: Kubiya and the store (GitHub, GitLab) come in as interfaces.
import type { ApiKey, KeyService, MintedKey } from './key-service.ts';
import type { KeyLifecycle, SlotKeyRequest } from './key-lifecycle.ts';
import { IN_FLIGHT_WINDOW_MS, WRITE_DEADLINE_MS, isDuplicateOf, planRevocation, type RevocationPlan } from './revocation.ts';
import { slotResult, type SlotResult } from './results.ts';
import { DEFAULT_RETRY } from './retry.ts';
import { WriteDeadlinePassed, type SecretStore } from './secret-store.ts';
import { ServiceError, errorMessage } from './service-error.ts';
import type { SlotLog } from './slot-run.ts';
import { isSlotKey, managedKeyName, newMintId, type SecretSlot } from './slots.ts';

/** The rotate mode's settings that concern one slot's keys: what its mint needs, and what decides the rest. */
export interface RotationSettings extends Omit<SlotKeyRequest, 'slot' | 'mintId'> {
  gracePeriodMs: number;
  revokePrevious: boolean;
  verify: boolean;
}

export interface RotationDeps {
  keys: KeyService;
  lifecycle: KeyLifecycle;
  now: () => Date;
  /** a monotonic clock in milliseconds, for the write deadline (default: performance.now) */
  monotonicMs?: () => number;
  /** waits before the re-list is tried again (default: a timer) */
  sleep?: (ms: number) => Promise<void>;
}

/** How long to wait before listing again when the listing does not yet show the key just minted. */
const RELIST_DELAY_MS = 2_000;

export class SlotRotation {
  private readonly config: RotationSettings;
  private readonly deps: RotationDeps;
  private readonly slot: SecretSlot;
  private readonly log: SlotLog;

  constructor(config: RotationSettings, deps: RotationDeps, slot: SecretSlot, log: SlotLog) {
    this.config = config;
    this.deps = deps;
    this.slot = slot;
    this.log = log;
  }

  /** A dry-run: what `run` would do. `access`: what the store's access check showed, in words. */
  plan(listing: ApiKey[], access: string): SlotResult {
    const now = this.deps.now();
    const name = managedKeyName(this.slot, this.config.keyNamePrefix, this.config.run);
    const expiresAt = new Date(now.getTime() + this.config.ttlMs);
    const plan = this.revocationPlan(listing, { id: '', name, createdAt: now, revoked: false });
    const kept = plan.keep.length + plan.inFlight.length;
    const note =
      `dry-run: would mint ${name} (expires ${expiresAt.toISOString()}), write it to secret ${this.slot.secretName} ` +
      `(${access}), and revoke ${plan.revoke.length} superseded key(s)` +
      (kept ? `, keeping ${kept} for now` : '');
    this.log.info(note);
    return slotResult(this.slot, 'planned', {
      keyName: name,
      expiresAt,
      revokedKeys: plan.revoke,
      keptKeys: plan.keep,
      inFlightKeys: plan.inFlight,
      note,
    });
  }

  async run<T>(secrets: SecretStore<T>, target: T): Promise<SlotResult> {
    const { keys, lifecycle } = this.deps;
    let minted: MintedKey;
    try {
      minted = await lifecycle.mint({ ...this.config, slot: this.slot, mintId: newMintId() }, this.log);
    } catch (error) {
      return slotResult(this.slot, 'failed', { error: `mint: ${errorMessage(error)}` });
    }
    const monotonicMs = this.deps.monotonicMs ?? (() => performance.now());
    const mintedAt = monotonicMs();

    // Verify the new key while listing again: the listing shows whether a newer run got here first.
    const [verified, relisted] = await Promise.allSettled([
      this.config.verify ? keys.authenticate(minted.token) : Promise.resolve(undefined),
      this.relist(minted),
    ]);
    if (verified.status === 'rejected') return this.rollBack(minted, 'verify', verified.reason);
    if (relisted.status === 'rejected') return this.rollBack(minted, 'list', relisted.reason);
    this.log.info(this.config.verify ? 'The new key authenticates.' : 'Verification skipped (verify: false).');

    const plan = this.revocationPlan(relisted.value.listing, relisted.value.own, minted);
    const dead = deadKeyReason(relisted.value.own, this.deps.now());
    if (dead) return this.keepEveryKey(minted, plan, deadKeyError(minted, dead));
    if (plan.newer.length > 0) return this.stepBack(minted, plan);

    // Past the deadline no write is sent: a key that old may be revoked by an overlapping run (in-flight window).
    try {
      const written = await secrets.put(this.slot, minted.token, target, { sendBy: mintedAt + WRITE_DEADLINE_MS, clock: monotonicMs });
      this.log.info(`Secret ${this.slot.secretName} of ${this.slot.target} ${written}.`);
    } catch (error) {
      const reason =
        error instanceof WriteDeadlinePassed
          ? `no write was sent more than ${WRITE_DEADLINE_MS / 60_000} minutes after the key was minted, since an overlapping ` +
            `run may revoke a key that old (${error.message})`
          : errorMessage(error);
      if (error instanceof ServiceError && error.outcomeUnknown) {
        return this.keepEveryKey(minted, plan, unknownWriteError(minted, reason), { writeUnknown: true });
      }
      return this.rollBack(minted, 'secret write', reason, plan.duplicates);
    }
    return this.revokeSuperseded(minted, plan);
  }

  /** The secret holds the new key: revoke what it superseded, and this run's own duplicates whatever the options say. */
  private async revokeSuperseded(minted: MintedKey, plan: RevocationPlan): Promise<SlotResult> {
    const [superseded, duplicates] = await Promise.all([
      this.deps.lifecycle.revoke(plan.revoke),
      this.deps.lifecycle.revoke(plan.duplicates),
    ]);
    for (const key of superseded.revoked) this.log.info(`Revoked superseded key ${key.name} (id ${key.id}).`);
    for (const key of duplicates.revoked)
      this.log.info(`Revoked ${key.id}, a duplicate of the new key made by a create that took effect late.`);
    this.logKept(plan);
    const result = this.minted(minted, 'rotated', {
      revokedKeys: superseded.revoked,
      keptKeys: plan.keep,
      inFlightKeys: plan.inFlight,
      note: inFlightNote(plan.inFlight),
    });
    const failures = [...superseded.failed, ...duplicates.failed];
    if (failures.length === 0) return result;
    return {
      ...result,
      status: 'failed',
      error:
        `revocation: ${countKeys(superseded.failed.length, duplicates.failed.length)} could not be revoked: ` +
        `${failures.map(({ key }) => key.name).join(', ')} (${failures[0]!.reason}); ` +
        'the secret holds the new key and the next run revokes them',
    };
  }

  /** The listing again, which must show the key just minted: without it, it cannot be trusted to show a newer one. */
  private async relist(minted: MintedKey): Promise<{ listing: ApiKey[]; own: ApiKey }> {
    for (let attempt = 0; ; attempt++) {
      const listing = await this.deps.keys.listKeys();
      const own = listing.find((key) => key.id === minted.id);
      // Without a listed creation time, this run's own clock places its key: later than every key with none (revocation.ts).
      if (own) return { listing, own: { ...own, createdAt: own.createdAt ?? minted.createdAt ?? this.deps.now() } };
      if (attempt > 0) {
        throw new ServiceError(
          `Kubiya's key list does not show the key just minted (id ${minted.id}), so it cannot be trusted to show a newer ` +
            "run's key either",
        );
      }
      await (this.deps.sleep ?? DEFAULT_RETRY.sleep)(RELIST_DELAY_MS);
    }
  }

  private revocationPlan(listing: ApiKey[], own: ApiKey, minted?: MintedKey): RevocationPlan {
    return planRevocation({
      slotKeys: listing.filter((key) => isSlotKey(key.name, this.slot, this.config.keyNamePrefix)),
      own,
      now: this.deps.now(),
      gracePeriodMs: this.config.gracePeriodMs,
      revokePrevious: this.config.revokePrevious,
      isDuplicate: (key) => minted !== undefined && isDuplicateOf(key, minted),
    });
  }

  private logKept(plan: RevocationPlan): void {
    for (const key of plan.keep) this.log.info(`Kept superseded key ${key.name} (id ${key.id}) for a later run.`);
    for (const key of plan.inFlight) {
      this.log.info(
        `Kept ${key.name} (id ${key.id}): created less than ${IN_FLIGHT_WINDOW_MS / 60_000} minutes before this run's key, ` +
          'it may still be on its way into the secret; a later run revokes it.',
      );
    }
  }

  /** Something failed before the secret took the new key: revoke it and leave the secret as it was. */
  private async rollBack(minted: MintedKey, step: string, error: unknown, duplicates: ApiKey[] = []): Promise<SlotResult> {
    const undo = await this.takeBack(minted, duplicates);
    return this.minted(minted, 'failed', {
      rolledBack: undo.rolledBack,
      error: `${step}: ${errorMessage(error).replace(/\.$/, '')}; ${undo.text}, and the secret still holds its previous key`,
    });
  }

  /**
   * A failure in which the secret may still need the new key (a write of unknown outcome) or the previous ones (a new
   * key already dead is never written): only this run's own duplicates (orphans no secret holds) are revoked.
   */
  private async keepEveryKey(minted: MintedKey, plan: RevocationPlan, error: string, fields?: Partial<SlotResult>): Promise<SlotResult> {
    const { failed } = await this.deps.lifecycle.revoke(plan.duplicates);
    const leftovers = failed.length ? `; ${failed.length} duplicate key(s) could not be revoked` : '';
    return this.minted(minted, 'failed', { ...fields, error: error + leftovers });
  }

  /** A newer run minted a key for this slot after ours: it owns the slot now. */
  private async stepBack(minted: MintedKey, plan: RevocationPlan): Promise<SlotResult> {
    const undo = await this.takeBack(minted, plan.duplicates);
    const message =
      `A newer run minted ${plan.newer.map((key) => key.name).join(', ')} for ${this.slot.target} after this run's key; ` +
      `stepped back: ${undo.text} and the secret was left to the newer run. Run rotations under a workflow concurrency group ` +
      'to avoid minting keys that are not used.';
    this.log.warning(message);
    return this.minted(minted, 'skipped', { rolledBack: undo.rolledBack, note: message });
  }

  /** Revokes this run's new key (and its duplicates), which no secret holds: what the summary and the messages say of it. */
  private async takeBack(minted: MintedKey, duplicates: ApiKey[]): Promise<{ rolledBack: 'revoked' | 'live'; text: string }> {
    const { revoked, text } = await this.deps.lifecycle.revokeMinted(minted, duplicates);
    return { rolledBack: revoked ? 'revoked' : 'live', text: revoked ? text : `${text} and the next run revokes it` };
  }

  private minted(minted: MintedKey, status: SlotResult['status'], fields: Partial<SlotResult>): SlotResult {
    return slotResult(this.slot, status, { keyId: minted.id, keyName: minted.name, expiresAt: minted.expiresAt, ...fields });
  }
}

/** Why the listed key just minted can no longer be written (revoked, or already expired); undefined while it works. */
function deadKeyReason(own: ApiKey, now: Date): string | undefined {
  if (own.revoked) return 'revoked: someone or something revoked it';
  if (own.expiresAt && own.expiresAt.getTime() <= now.getTime()) {
    return `expired (at ${own.expiresAt.toISOString()}${own.expiresAtInferred ? ', inferred' : ''}): it ran out`;
  }
  return undefined;
}

function deadKeyError(minted: MintedKey, reason: string): string {
  return (
    `list: Kubiya's key list shows the new key ${minted.name} (id ${minted.id}) ${reason} between its creation and ` +
    'the write; it was not written and no key was revoked, so the secret still holds its previous key. ' +
    'Find out who or what did it and run the rotation again'
  );
}

/** The write may or may not have landed: the secret may hold either key, so neither is revoked. */
function unknownWriteError(minted: MintedKey, reason: string): string {
  return (
    `secret write: ${reason.replace(/\.$/, '')}; the secret may hold the new key ${minted.name} or the previous one, so ` +
    'neither was revoked (the next run revokes whichever is superseded)'
  );
}

function inFlightNote(inFlight: ApiKey[]): string | undefined {
  if (inFlight.length === 0) return undefined;
  return `kept ${inFlight.map((key) => key.name).join(', ')}: may still be on its way into the secret (a later run revokes it)`;
}

function countKeys(superseded: number, duplicates: number): string {
  const parts = [superseded ? `${superseded} superseded key(s)` : '', duplicates ? `${duplicates} duplicate key(s)` : ''];
  return parts.filter(Boolean).join(' and ');
}
