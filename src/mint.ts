// Mint mode: a key for this job only. It is verified before anything can use it, and the post step revokes
// it — found by its id, or, when the job was cancelled while the create was in flight, by its exact name.
import type { Config } from './config.ts';
import type { KeyService, MintedKey } from './key-service.ts';
import { slotResult, type SlotResult } from './results.ts';
import { revokeKeys, revokeNewKey } from './revoke.ts';
import { createSlotKey, type SlotLog } from './rotate.ts';
import { errorMessage } from './service-error.ts';
import { isKeyOfMint, isSlotKey, managedKeyName, newMintId } from './slots.ts';

/** What the post step needs to revoke the job's key (never the key itself), saved as the action's state. */
export const STATE = { keyName: 'key-name', mintId: 'mint-id', keyId: 'key-id', expiresAt: 'expires-at' } as const;

export interface JobState {
  save(name: string, value: string): void;
  get(name: string): string;
}

export interface MintOutcome {
  result: SlotResult;
  /** the verified key, for the `api-key` output and the exported variable (already masked) */
  minted?: MintedKey;
}

export interface MintDeps {
  keys: KeyService;
  log: SlotLog;
  now: () => Date;
  /** where the post step finds what to revoke; written before the create is sent */
  state: JobState;
}

export async function mint(config: Config, deps: MintDeps): Promise<MintOutcome> {
  const { keys, log } = deps;
  const slot = config.slots[0]!;
  const name = managedKeyName(slot, config.keyNamePrefix, config.run);
  const requested = new Date(deps.now().getTime() + config.ttlMs);

  if (config.dryRun) {
    try {
      const [, listing] = await Promise.all([keys.authenticate(), keys.listKeys()]);
      const existing = listing.filter((key) => !key.revoked && isSlotKey(key.name, slot, config.keyNamePrefix));
      const note = `dry-run: would mint ${name} (expires ${requested.toISOString()}) for this job${existing.length ? `; ${existing.length} key(s) of this job already live` : ''}`;
      log.info(note);
      return { result: slotResult(slot, 'planned', { keyName: name, expiresAt: requested, note }) };
    } catch (error) {
      return { result: slotResult(slot, 'failed', { error: errorMessage(error) }) };
    }
  }

  const mintId = newMintId();
  // Saved before the create is sent: a job cancelled while it is in flight still has its key revoked.
  if (config.revokeOnExit) {
    deps.state.save(STATE.keyName, name);
    deps.state.save(STATE.mintId, mintId);
  }
  const minted = await createSlotKey(slot, config, { ...deps, mintId });
  if ('failed' in minted) return { result: minted.failed };
  if (config.revokeOnExit) {
    deps.state.save(STATE.keyId, minted.id);
    deps.state.save(STATE.expiresAt, minted.expiresAt.toISOString());
  }
  const result = slotResult(slot, 'minted', { keyId: minted.id, keyName: minted.name, expiresAt: minted.expiresAt });
  if (config.verify) {
    try {
      await keys.authenticate(minted.token);
      log.info('The new key authenticates.');
    } catch (error) {
      const { text: undo } = await revokeNewKey(keys, minted);
      return { result: { ...result, status: 'failed', error: `verify: ${errorMessage(error)}; ${undo}` } };
    }
  }
  return { result, minted };
}

/** Whether the main step left a key for the post step to revoke. */
export function hasJobKey(state: JobState): boolean {
  return Boolean(state.get(STATE.keyName) || state.get(STATE.keyId));
}

/**
 * The post step: revoke the job's key, whatever the job's outcome. Best effort: a failure is a warning, and
 * a key that already expired is left alone.
 */
export async function revokeJobKey(deps: { keys: KeyService; state: JobState; log: SlotLog; now: () => Date }): Promise<void> {
  const { keys, state, log } = deps;
  const name = state.get(STATE.keyName);
  const keyId = state.get(STATE.keyId);
  if (!hasJobKey(state)) return;
  const expiresAt = keyId ? new Date(state.get(STATE.expiresAt)) : undefined;
  if (expiresAt && expiresAt.getTime() <= deps.now().getTime()) {
    log.info(`The job's Kubiya key ${keyId} already expired at ${expiresAt.toISOString()}; nothing to revoke.`);
    return;
  }
  try {
    if (keyId) {
      await keys.revokeKey(keyId);
      log.info(`Revoked the job's Kubiya key ${keyId}.`);
      return;
    }
    // The create was sent but never answered (the job was cancelled): find what it made by its exact name.
    const mintId = state.get(STATE.mintId);
    const made = (await keys.listKeys()).filter((key) => !key.revoked && isKeyOfMint(key, name, mintId));
    const { revoked, failed } = await revokeKeys(keys, made);
    if (failed.length > 0) throw new Error(failed[0]!.reason);
    log.info(
      revoked.length
        ? `Revoked the job's Kubiya key ${name} (id ${revoked.map((key) => key.id).join(', ')}), whose creation was not confirmed.`
        : `The creation of the job's Kubiya key ${name} was not confirmed, and no such key exists; nothing to revoke.`,
    );
  } catch (error) {
    const until = expiresAt ? ` It expires on its own at ${expiresAt.toISOString()}.` : ' It expires on its own at the end of its ttl.';
    log.warning(`Could not revoke the job's Kubiya key ${keyId || name}: ${errorMessage(error)}.${until}`);
  }
}
