// The rotation: for each slot, mint a key, verify it, seal it into the secret, then revoke the keys it
// superseded — keeping, at every step, a key the action has not revoked in the secret, and every key it
// minted either stored or revoked. No I/O of its own: Kubiya and GitHub come in as interfaces.
import type { Config } from './config.ts';
import { mapBounded } from './concurrency.ts';
import type { ApiKey, KeyService, MintedKey } from './key-service.ts';
import { planRevocation } from './revocation.ts';
import type { SlotResult } from './results.ts';
import type { SecretStore, WriteTarget } from './secret-store.ts';
import { ServiceError, errorMessage, rejections } from './service-error.ts';
import { isSlotKey, keyDescription, managedKeyName, type Slot } from './slots.ts';
import { sealSecret } from './github/seal.ts';

export interface SlotLog {
  info(message: string): void;
  warning(message: string): void;
}

export interface RotationLog {
  /** Lines about one slot; `done` is called when the slot's work is over, so they can be shown as one group. */
  forSlot(target: string): SlotLog & { done(): void };
}

export interface RotationDeps {
  keys: KeyService;
  /** absent in a dry-run without github-token: the GitHub access check is skipped */
  secrets?: SecretStore;
  log: RotationLog;
  now: () => Date;
  /** slots in flight at once */
  concurrency: number;
}

export async function rotate(config: Config, deps: RotationDeps): Promise<SlotResult[]> {
  const { keys, secrets } = deps;
  // First round trip: the admin key, every slot's public key (proof the token can write there) and one listing.
  const [admin, listing, ...writeTargets] = await Promise.allSettled([
    keys.whoami(),
    keys.listKeys(),
    ...config.slots.map((slot) => (secrets ? secrets.prepare(slot) : Promise.resolve(undefined))),
  ]);
  const fatal: unknown = admin.status === 'rejected' ? admin.reason : listing.status === 'rejected' ? listing.reason : undefined;

  return mapBounded(config.slots, deps.concurrency, async (slot, index) => {
    const log = deps.log.forSlot(slot.target);
    try {
      if (fatal !== undefined) return failed(slot, errorMessage(fatal));
      const target = writeTargets[index]!;
      if (target.status === 'rejected') return failed(slot, errorMessage(target.reason));
      const rotation = new SlotRotation(config, deps, slot, log);
      if (config.dryRun) return rotation.plan((listing as PromiseFulfilledResult<ApiKey[]>).value);
      return await rotation.run(target.value!);
    } finally {
      log.done();
    }
  });
}

class SlotRotation {
  private readonly config: Config;
  private readonly deps: RotationDeps;
  private readonly slot: Slot;
  private readonly log: SlotLog;
  private readonly name: string;

  constructor(config: Config, deps: RotationDeps, slot: Slot, log: SlotLog) {
    this.config = config;
    this.deps = deps;
    this.slot = slot;
    this.log = log;
    this.name = managedKeyName(slot, config.keyNamePrefix, config.run);
  }

  plan(listing: ApiKey[]): SlotResult {
    const now = this.deps.now();
    const expiresAt = new Date(now.getTime() + this.config.ttlMs);
    const own: ApiKey = { id: '', name: this.name, createdAt: now, revoked: false };
    const plan = this.revocationPlan(listing, own, now);
    const access = this.deps.secrets ? 'github-token can write it' : 'GitHub access not checked: no github-token given';
    const note =
      `dry-run: would mint ${this.name} (expires ${expiresAt.toISOString()}), write it to secret ${this.slot.secretName} ` +
      `(${access}), and revoke ${plan.revoke.length} superseded key(s)` +
      (plan.keep.length ? `, keeping ${plan.keep.length} for now` : '');
    this.log.info(note);
    return { ...this.base(), status: 'planned', keyName: this.name, expiresAt, revokedKeys: plan.revoke, keptKeys: plan.keep, note };
  }

  async run(target: WriteTarget): Promise<SlotResult> {
    const { keys } = this.deps;
    const expiresAt = new Date(this.deps.now().getTime() + this.config.ttlMs);
    let minted: MintedKey;
    try {
      minted = await keys.createKey({ name: this.name, description: keyDescription(this.slot, this.config.run), expiresAt });
    } catch (error) {
      return failed(this.slot, `mint: ${errorMessage(error)}`);
    }
    this.log.info(`Minted ${minted.name} (id ${minted.id}), expires ${minted.expiresAt.toISOString()}`);

    // Verify the new key while listing again: the listing shows whether a newer run got here first.
    const [verified, relisted] = await Promise.allSettled([
      this.config.verify ? keys.whoami(minted.token) : Promise.resolve(undefined),
      keys.listKeys(),
    ]);
    if (verified.status === 'rejected') return this.rollBack(minted, 'verify', verified.reason);
    if (relisted.status === 'rejected') return this.rollBack(minted, 'list', relisted.reason);
    this.log.info(this.config.verify ? 'The new key authenticates.' : 'Verification skipped (verify: false).');

    const own = relisted.value.find((key) => key.id === minted.id) ?? {
      id: minted.id,
      name: minted.name,
      createdAt: minted.createdAt ?? this.deps.now(),
      revoked: false,
    };
    const plan = this.revocationPlan(relisted.value, own, this.deps.now());
    if (plan.newer.length > 0) return this.stepBack(minted, plan.newer, plan.duplicates);

    try {
      const written = await this.deps.secrets!.put(this.slot, await sealSecret(minted.token, target.publicKey), target);
      this.log.info(`Secret ${this.slot.secretName} of ${this.slot.target} ${written}.`);
    } catch (error) {
      if (error instanceof ServiceError && error.noResponse) {
        return {
          ...this.minted(minted),
          status: 'failed',
          error:
            `secret write: ${error.message}; the secret may hold the new key or the previous one, so neither was revoked ` +
            '(the next run revokes whichever is superseded)',
        };
      }
      return this.rollBack(minted, 'secret write', error, plan.duplicates);
    }

    // Duplicates are this run's own orphans: revoked whatever the grace period or revoke-previous say.
    const [outcomes, duplicates] = await Promise.all([
      Promise.allSettled(plan.revoke.map((key) => keys.revokeKey(key.id))),
      Promise.allSettled(plan.duplicates.map((key) => keys.revokeKey(key.id))),
    ]);
    const revokedKeys = plan.revoke.filter((_, i) => outcomes[i]!.status === 'fulfilled');
    const failedSuperseded = rejections(outcomes);
    const failedDuplicates = rejections(duplicates);
    const failures = [...failedSuperseded, ...failedDuplicates];
    for (const key of revokedKeys) this.log.info(`Revoked superseded key ${key.name} (id ${key.id}).`);
    plan.duplicates.forEach((key, i) => {
      if (duplicates[i]!.status === 'fulfilled')
        this.log.info(`Revoked ${key.id}, a duplicate of the new key made by a create that took effect late.`);
    });
    for (const key of plan.keep) this.log.info(`Kept superseded key ${key.name} (id ${key.id}) for a later run.`);
    const result: SlotResult = { ...this.minted(minted), status: 'rotated', revokedKeys, keptKeys: plan.keep };
    if (failures.length === 0) return result;
    return {
      ...result,
      status: 'failed',
      error:
        `revocation: ${countKeys(failedSuperseded.length, failedDuplicates.length)} could not be revoked (${failures[0]}); ` +
        'the secret holds the new key and the next run revokes them',
    };
  }

  private revocationPlan(listing: ApiKey[], own: ApiKey, now: Date) {
    const slotKeys = listing.filter((key) => isSlotKey(key.name, this.slot, this.config.keyNamePrefix));
    return planRevocation({
      slotKeys,
      own,
      now,
      gracePeriodMs: this.config.gracePeriodMs,
      revokePrevious: this.config.revokePrevious,
    });
  }

  /** Something failed before the secret took the new key: revoke it and leave the secret as it was. */
  private async rollBack(minted: MintedKey, step: string, error: unknown, duplicates: ApiKey[] = []): Promise<SlotResult> {
    const undo = await this.revokeOwn(minted, duplicates);
    return {
      ...this.minted(minted),
      status: 'failed',
      error: `${step}: ${errorMessage(error).replace(/\.$/, '')}; ${undo}, and the secret still holds its previous key`,
    };
  }

  /** A newer run minted a key for this slot after ours: it owns the slot now. */
  private async stepBack(minted: MintedKey, newer: ApiKey[], duplicates: ApiKey[]): Promise<SlotResult> {
    const undo = await this.revokeOwn(minted, duplicates);
    const message =
      `A newer run minted ${newer.map((key) => key.name).join(', ')} for ${this.slot.target} after this run's key; ` +
      `stepped back: ${undo} and the secret was left to the newer run. Run rotations under a workflow concurrency group.`;
    this.log.warning(message);
    return { ...this.minted(minted), status: 'skipped', note: message };
  }

  private async revokeOwn(minted: MintedKey, duplicates: ApiKey[] = []): Promise<string> {
    const { revoked, text } = await revokeNewKey(this.deps.keys, minted, duplicates);
    return revoked ? text : `${text} and the next run revokes it`;
  }

  private base() {
    return { target: this.slot.target, secretName: this.slot.secretName, revokedKeys: [], keptKeys: [] };
  }

  private minted(minted: MintedKey): SlotResult {
    return { ...this.base(), status: 'minted', keyId: minted.id, keyName: minted.name, expiresAt: minted.expiresAt };
  }
}

/** Revoke a key this run minted (and any duplicate of it), and say how that went, for the failure message. */
export async function revokeNewKey(
  keys: KeyService,
  minted: MintedKey,
  duplicates: ApiKey[] = [],
): Promise<{ revoked: boolean; text: string }> {
  const outcomes = await Promise.allSettled([minted, ...duplicates].map((key) => keys.revokeKey(key.id)));
  const what = duplicates.length
    ? `the new key ${minted.name} (and ${duplicates.length} duplicate(s) of it)`
    : `the new key ${minted.name}`;
  const [failure] = rejections(outcomes);
  if (failure === undefined) return { revoked: true, text: `${what} was revoked` };
  return { revoked: false, text: `${what} could NOT be revoked (${failure}); it expires ${minted.expiresAt.toISOString()}` };
}

function countKeys(superseded: number, duplicates: number): string {
  const parts = [superseded ? `${superseded} superseded key(s)` : '', duplicates ? `${duplicates} duplicate key(s)` : ''];
  return parts.filter(Boolean).join(' and ');
}

function failed(slot: Slot, error: string): SlotResult {
  return { target: slot.target, secretName: slot.secretName, status: 'failed', revokedKeys: [], keptKeys: [], error };
}
