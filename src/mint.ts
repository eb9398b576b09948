// Mint mode: a key for this job only. It is verified before anything can use it, and the post step revokes
// it — found by its id, or, when the job was cancelled while the create was in flight, by its exact name.
import type { Config } from './config.ts';
import type { ApiKey, KeyService, MintedKey } from './key-service.ts';
import { slotResult, type SlotResult } from './results.ts';
import { revokeKeys, revokeNewKey } from './revoke.ts';
import { createSlotKey, type SlotLog } from './rotate.ts';
import { ServiceError, errorMessage } from './service-error.ts';
import { isProvablyKeyOfMint, isSlotKey, managedKeyName, newMintId } from './slots.ts';

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
  if ('failed' in minted) {
    // A definite refusal minted nothing: the post step has nothing to look for, and no reason to warn.
    if (config.revokeOnExit && mintedNothing(minted.error)) {
      deps.state.save(STATE.keyName, '');
      deps.state.save(STATE.mintId, '');
    }
    return { result: minted.failed };
  }
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
    await revokeUnconfirmed(keys, name, state.get(STATE.mintId), log);
  } catch (error) {
    const until = expiresAt ? ` It expires on its own at ${expiresAt.toISOString()}.` : ' It expires on its own at the end of its ttl.';
    log.warning(`Could not revoke the job's Kubiya key ${keyId || name}: ${errorMessage(error)}.${until}`);
  }
}

/**
 * A create that got an answer without a key (401, 403, 422, a 429 past its retries…) and no attempt of which went
 * unanswered: it minted nothing. A 5xx or a lost answer may have minted a key.
 */
function mintedNothing(error: unknown): boolean {
  // A create never sent (a failure on the runner before the request left) minted nothing too; until ServiceError
  // tells "nothing was sent" apart, it counts as unknown here: the post step looks, and finds nothing.
  const status = error instanceof ServiceError ? error.status : undefined;
  return status !== undefined && status >= 400 && status < 500 && !(error as ServiceError).outcomeUnknown;
}

/**
 * The post step's revoke of a key whose create was never confirmed: only a key provably this step's — its
 * description carries the step's mint id — is revoked. Two mint steps of one job share a key name, so a key
 * listed without a description, or several carrying the mint id, are left to expire (audit: orphan-job-key).
 */
async function revokeUnconfirmed(keys: KeyService, name: string, mintId: string, log: SlotLog): Promise<void> {
  const named = (await keys.listKeys()).filter((key) => !key.revoked && key.name === name);
  const proven = named.filter((key) => isProvablyKeyOfMint(key, name, mintId));
  const unproven = named.filter((key) => !key.description);
  if (proven.length === 1) {
    const { failed } = await revokeKeys(keys, proven);
    if (failed.length > 0) throw new Error(failed[0]!.reason);
    log.info(`Revoked the job's Kubiya key ${name} (id ${proven[0]!.id}), whose creation was not confirmed.`);
    return;
  }
  const doubtful = proven.length > 1 ? proven : unproven;
  if (doubtful.length === 0) {
    log.info(`The creation of the job's Kubiya key ${name} was not confirmed, and no key of this step exists; nothing to revoke.`);
    return;
  }
  const why =
    proven.length > 1
      ? `${proven.length} listed keys carry this step's mint id ${mintId}`
      : `Kubiya lists ${unproven.length} key(s) with that name but no description, so none can be proven this step's (mint ${mintId})`;
  log.warning(
    `The creation of the job's Kubiya key ${name} was not confirmed, and ${why}: ${idList(doubtful)}. None was revoked, ` +
      'since another mint step of this job gives its key the same name and revoking it would break that step; the key ' +
      'expires on its own at the end of its ttl, audit reports it as orphan-job-key, and mode: revoke retires it.',
  );
}

function idList(keys: ApiKey[]): string {
  return keys.map((key) => `id ${key.id}`).join(', ');
}
