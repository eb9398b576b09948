// Mint mode: a key for this job only, verified before anything can use it, exposed to later steps (masked), and
// revoked by the post step — found by its id, or, when the job was cancelled while the create was in flight, by
// its exact name and this step's mint id.
import { formatDuration } from '../duration.ts';
import { InputError, parseBoolean, parseKeyInputs, parseTtl, type Inputs, type KeyInputs } from '../inputs.ts';
import type { KeyService, MintedKey } from '../key-service.ts';
import { KeyLifecycle } from '../key-lifecycle.ts';
import { slotResult, type SlotResult } from '../results.ts';
import type { Runner } from '../runner.ts';
import { ServiceError, errorMessage } from '../service-error.ts';
import { kubiyaFor } from '../services.ts';
import { groupedLog, type SlotLog } from '../slot-run.ts';
import { isKeyOfMint, isSlotKey, jobSlot, managedKeyName, newMintId, type JobSlot } from '../slots.ts';
import { finishRun, startRun } from './frame.ts';

export interface MintConfig extends KeyInputs {
  mode: 'mint';
  slot: JobSlot;
  ttlMs: number;
  verify: boolean;
  /** the variable later steps read the key from; '' exports none */
  exportEnv: string;
  revokeOnExit: boolean;
}

export function parse(input: Inputs, env: NodeJS.ProcessEnv): MintConfig {
  const common = parseKeyInputs(input, env);
  if (input('environment') || input('organization') || (input('secret-type') || 'actions') !== 'actions') {
    throw new InputError(
      "Mode 'mint' writes no secret: remove 'environment', 'organization' and 'secret-type', which apply to rotate and revoke.",
    );
  }
  if (!/^[A-Za-z0-9_.-]+$/.test(common.run.job)) {
    throw new InputError("GITHUB_JOB is not set as the Actions runner sets it: mode 'mint' names the key after the job.");
  }
  return {
    ...common,
    mode: 'mint',
    slot: jobSlot(common.run.repository, common.run.job, common.secretName),
    ttlMs: parseTtl(input, '1h'),
    verify: parseBoolean(input, 'verify', true),
    exportEnv: parseExportEnv(input('export-env')),
    revokeOnExit: parseBoolean(input, 'revoke-on-exit', true),
  };
}

/** The runner applies the action.yml default (KUBIYA_API_KEY); an empty value exports none. */
function parseExportEnv(value: string): string {
  if (value === '') return '';
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(value) && !/^(GITHUB_|RUNNER_)/i.test(value)) return value;
  throw new InputError(
    `Input 'export-env' must be an environment variable name (letters, digits, underscores, not starting with a digit, GITHUB_ or RUNNER_), or empty to export none (got '${value}').`,
  );
}

export async function run(runner: Runner): Promise<void> {
  const config = parse(runner.input, runner.env);
  runner.log.info(`${config.dryRun ? 'Planning' : 'Running'} mode mint for ${config.slot.target}, ttl ${formatDuration(config.ttlMs)}.`);
  const { footing, keys } = startRun(config, runner);
  const log = groupedLog(runner).forSlot(config.slot.scope);
  const { result, minted } = await mint(config, { keys, log, now: () => new Date(), state: runner.state });
  log.done();
  if (minted) expose(runner, config, minted);
  await finishRun(runner, footing, [result], { title: 'Kubiya API key for this job', dryRun: config.dryRun });
}

/** The key to later steps: the `api-key` output and the exported variable (the client masked it when it was parsed). */
function expose(runner: Runner, config: MintConfig, minted: MintedKey): void {
  runner.output('api-key', minted.token);
  if (config.exportEnv) runner.exportVariable(config.exportEnv, minted.token);
  runner.log.info(
    (config.exportEnv ? `Exported the key to later steps as ${config.exportEnv}. ` : '') +
      (config.revokeOnExit
        ? 'The post step revokes it when the job ends.'
        : `revoke-on-exit is false: it lives until ${minted.expiresAt.toISOString()}.`),
  );
}

/** What the post step needs to revoke the job's key (never the key itself), saved as the action's state. */
const STATE = { keyName: 'key-name', mintId: 'mint-id', keyId: 'key-id', expiresAt: 'expires-at' } as const;

export interface MintDeps {
  keys: KeyService;
  log: SlotLog;
  now: () => Date;
  /** where the post step finds what to revoke; written before the create is sent */
  state: Runner['state'];
}

/** `minted`: the verified key, for the `api-key` output and the exported variable (already masked). */
export async function mint(config: MintConfig, deps: MintDeps): Promise<{ result: SlotResult; minted?: MintedKey }> {
  const { keys, log } = deps;
  const { slot } = config;
  if (config.dryRun) return { result: await plan(config, deps) };
  const lifecycle = new KeyLifecycle(keys, deps.now);
  const mintId = newMintId();
  // With revoke-on-exit false, the post step is told nothing: it revokes nothing.
  const save: Runner['state']['save'] = config.revokeOnExit ? (name, value) => deps.state.save(name, value) : () => {};
  // Saved before the create is sent: a job cancelled while it is in flight still has its key revoked.
  save(STATE.keyName, managedKeyName(slot, config.keyNamePrefix, config.run));
  save(STATE.mintId, mintId);
  let minted: MintedKey;
  try {
    minted = await lifecycle.mint({ ...config, mintId }, log);
  } catch (error) {
    // A definite refusal minted nothing: the post step has nothing to look for, and no reason to warn.
    if (mintedNothing(error)) {
      save(STATE.keyName, '');
      save(STATE.mintId, '');
    }
    return { result: slotResult(slot, 'failed', { error: `mint: ${errorMessage(error)}` }) };
  }
  save(STATE.keyId, minted.id);
  save(STATE.expiresAt, minted.expiresAt.toISOString());
  const result = slotResult(slot, 'minted', { keyId: minted.id, keyName: minted.name, expiresAt: minted.expiresAt });
  if (config.verify) {
    try {
      await keys.authenticate(minted.token);
      log.info('The new key authenticates.');
    } catch (error) {
      const { text: undo } = await lifecycle.revokeMinted(minted);
      return { result: { ...result, status: 'failed', error: `verify: ${errorMessage(error)}; ${undo}` } };
    }
  }
  return { result, minted };
}

async function plan(config: MintConfig, deps: MintDeps): Promise<SlotResult> {
  const { slot } = config;
  try {
    const [, listing] = await Promise.all([deps.keys.authenticate(), deps.keys.listKeys()]);
    const existing = listing.filter((key) => !key.revoked && isSlotKey(key.name, slot, config.keyNamePrefix));
    const expiresAt = new Date(deps.now().getTime() + config.ttlMs);
    const name = managedKeyName(slot, config.keyNamePrefix, config.run);
    const note = `dry-run: would mint ${name} (expires ${expiresAt.toISOString()}) for this job${existing.length ? `; ${existing.length} key(s) of this job already live` : ''}`;
    deps.log.info(note);
    return slotResult(slot, 'planned', { keyName: name, expiresAt, note });
  } catch (error) {
    return slotResult(slot, 'failed', { error: errorMessage(error) });
  }
}

/** The post step: revoke the key the main step left in state, if any. */
export async function post(runner: Runner): Promise<void> {
  const adminApiKey = runner.input('admin-api-key');
  if (adminApiKey) runner.mask(adminApiKey);
  // Nothing to revoke: not mint mode, revoke-on-exit false, or the step stopped before minting.
  if (!runner.state.get(STATE.keyName) && !runner.state.get(STATE.keyId)) return;
  try {
    const keys = kubiyaFor(parse(runner.input, runner.env), runner);
    await revokeJobKey({ keys, state: runner.state, log: runner.log, now: () => new Date() });
  } catch (error) {
    runner.log.warning(`The post step could not revoke the job's Kubiya key: ${errorMessage(error)}`);
  }
}

/** The post step's revoke, whatever the job's outcome. Best effort: a failure is a warning; an expired key is left alone. */
export async function revokeJobKey(deps: MintDeps): Promise<void> {
  const { keys, state, log } = deps;
  const name = state.get(STATE.keyName);
  const keyId = state.get(STATE.keyId);
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
 * A create that got an answer without a key (401, 403, 422, a 429 past its retries…), or never left the runner (the
 * host did not resolve, the connection was refused), and no attempt of which went unanswered: it minted nothing. A 5xx
 * or a lost answer may have minted a key.
 */
function mintedNothing(error: unknown): boolean {
  if (!(error instanceof ServiceError) || error.outcomeUnknown) return false;
  return error.notSent || (error.status !== undefined && error.status >= 400 && error.status < 500);
}

/**
 * The post step's revoke of a key whose create was never confirmed: only a key provably this step's — its
 * description carries the step's mint id — is revoked. Two mint steps of one job share a key name, so a key
 * listed without a description, or several carrying the mint id, are left to expire (audit: orphan-job-key).
 */
async function revokeUnconfirmed(keys: KeyService, name: string, mintId: string, log: SlotLog): Promise<void> {
  const named = (await keys.listKeys()).filter((key) => !key.revoked && key.name === name);
  const proven = named.filter((key) => isKeyOfMint(key, name, mintId));
  const unproven = named.filter((key) => !key.description);
  if (proven.length === 1) {
    await keys.revokeKey(proven[0]!.id);
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
    `The creation of the job's Kubiya key ${name} was not confirmed, and ${why}: ${doubtful.map((key) => `id ${key.id}`).join(', ')}. ` +
      'None was revoked, since another mint step of this job gives its key the same name and revoking it would break that ' +
      'step; the key expires on its own at the end of its ttl, audit reports it as orphan-job-key, and mode: revoke retires it.',
  );
}
