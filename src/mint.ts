// Mint mode: a key for this job only. It is verified before anything can use it; the post step revokes it.
import type { Config } from './config.ts';
import type { KeyService, MintedKey } from './key-service.ts';
import type { SlotResult } from './results.ts';
import { revokeNewKey, type SlotLog } from './rotate.ts';
import { errorMessage } from './service-error.ts';
import { isSlotKey, keyDescription, managedKeyName } from './slots.ts';

export interface MintOutcome {
  result: SlotResult;
  /** the verified key, for the `api-key` output and the exported variable (already masked) */
  minted?: MintedKey;
}

export interface MintDeps {
  keys: KeyService;
  log: SlotLog;
  now: () => Date;
  /** called the moment the key exists, so the post step can revoke it even if this step is cancelled */
  remember: (key: MintedKey) => void;
}

export async function mint(config: Config, deps: MintDeps): Promise<MintOutcome> {
  const { keys, log } = deps;
  const slot = config.slots[0]!;
  const name = managedKeyName(slot, config.keyNamePrefix, config.run);
  const expiresAt = new Date(deps.now().getTime() + config.ttlMs);
  const base = { target: slot.target, secretName: slot.secretName, revokedKeys: [], keptKeys: [] };

  if (config.dryRun) {
    try {
      const [, listing] = await Promise.all([keys.whoami(), keys.listKeys()]);
      const existing = listing.filter((key) => !key.revoked && isSlotKey(key.name, slot, config.keyNamePrefix));
      const note = `dry-run: would mint ${name} (expires ${expiresAt.toISOString()}) for this job${existing.length ? `; ${existing.length} key(s) of this job already live` : ''}`;
      log.info(note);
      return { result: { ...base, status: 'planned', keyName: name, expiresAt, note } };
    } catch (error) {
      return { result: { ...base, status: 'failed', error: errorMessage(error) } };
    }
  }

  let minted: MintedKey;
  try {
    minted = await keys.createKey({ name, description: keyDescription(slot, config.run), expiresAt });
  } catch (error) {
    return { result: { ...base, status: 'failed', error: `mint: ${errorMessage(error)}` } };
  }
  deps.remember(minted);
  const result: SlotResult = { ...base, status: 'minted', keyId: minted.id, keyName: minted.name, expiresAt: minted.expiresAt };
  log.info(`Minted ${minted.name} (id ${minted.id}), expires ${minted.expiresAt.toISOString()}`);
  if (config.verify) {
    try {
      await keys.whoami(minted.token);
      log.info('The new key authenticates.');
    } catch (error) {
      const { text: undo } = await revokeNewKey(keys, minted);
      return { result: { ...result, status: 'failed', error: `verify: ${errorMessage(error)}; ${undo}` } };
    }
  }
  return { result, minted };
}
