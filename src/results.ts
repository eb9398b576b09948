// What a run did to each target: the `results` output, the other outputs, the summary and the exit code are
// read from this.
import type { ApiKey } from './key-service.ts';
import type { Runner } from './runner.ts';
import type { Slot } from './slots.ts';

export type SlotStatus = 'rotated' | 'minted' | 'revoked' | 'planned' | 'skipped' | 'audited' | 'checked' | 'failed';

/** `D`: what a mode adds to its results (audit: the slot's keys and findings). */
export interface SlotResult<D = never> {
  target: string;
  secretName: string;
  status: SlotStatus;
  keyId?: string;
  keyName?: string;
  expiresAt?: Date;
  /** keys this run revoked (or, in a dry-run, would revoke) */
  revokedKeys: ApiKey[];
  /** superseded keys left for a later run (grace period, or revoke-previous false) */
  keptKeys: ApiKey[];
  /** superseded keys of another run kept by the in-flight window: they may still be on their way into the secret */
  inFlightKeys: ApiKey[];
  /** the write's outcome is unknown: the secret may hold this run's key (`keyId`) or the one before it */
  writeUnknown?: true;
  /**
   * the run took its new key (`keyId`) back before the secret held it: `revoked`, or `live` when the revoke failed
   * (it is in no secret, and lives until `expiresAt` or the next run revokes it)
   */
  rolledBack?: 'revoked' | 'live';
  /** what happened, one line, for the summary: "secret updated", "dry-run: would mint …" */
  note?: string;
  error?: string;
  detail?: D;
}

/** A slot's result, with no keys revoked or kept unless `fields` says so. */
export function slotResult<D = never>(
  slot: Pick<Slot, 'target' | 'secretName'>,
  status: SlotStatus,
  fields: Partial<SlotResult<NoInfer<D>>> = {},
): SlotResult<D> {
  return { target: slot.target, secretName: slot.secretName, status, revokedKeys: [], keptKeys: [], inFlightKeys: [], ...fields };
}

/** The `results` output: one object per target, exactly the fields the spec names, and what the mode adds. */
export function resultsJson<D>(results: SlotResult<D>[], detailJson?: (detail: D) => object): string {
  return JSON.stringify(
    results.map((result) => ({
      target: result.target,
      secretName: result.secretName,
      keyId: result.keyId ?? null,
      keyName: result.keyName ?? null,
      expiresAt: result.expiresAt?.toISOString() ?? null,
      status: result.status,
      revokedKeyIds: result.status === 'planned' ? [] : result.revokedKeys.map((key) => key.id),
      error: result.error ?? null,
      // Named only when they apply (SlotResult says what they mean).
      ...(result.inFlightKeys.length > 0 && { inFlightKeyIds: result.inFlightKeys.map((key) => key.id) }),
      ...(result.writeUnknown && { writeUnknown: true }),
      ...(result.detail !== undefined && detailJson?.(result.detail)),
    })),
  );
}

/** The outputs every mode sets from its results; the key's own outputs only when exactly one target got a key. */
export function setResultOutputs<D>(runner: Pick<Runner, 'output'>, results: SlotResult<D>[], detailJson?: (detail: D) => object): void {
  const only = results.length === 1 ? results[0] : undefined;
  if (only && ['rotated', 'minted', 'planned'].includes(only.status)) {
    if (only.keyId) runner.output('key-id', only.keyId);
    if (only.keyName) runner.output('key-name', only.keyName);
    if (only.expiresAt) runner.output('expires-at', only.expiresAt.toISOString());
  }
  const revoked = results.filter((result) => result.status !== 'planned').flatMap((result) => result.revokedKeys.map((key) => key.id));
  runner.output('revoked-key-ids', revoked.join(','));
  runner.output('results', resultsJson(results, detailJson));
}

/** Fails the step when a target failed: its error as the one line, or with several targets, each one named. */
export function reportFailures<D>(runner: Pick<Runner, 'log' | 'fail'>, results: SlotResult<D>[]): void {
  const failures = results.filter((result) => result.status === 'failed');
  if (failures.length === 0) return;
  if (results.length === 1) {
    runner.fail(`${failures[0]!.target}: ${failures[0]!.error}`);
    return;
  }
  for (const failure of failures) runner.log.error(`${failure.target}: ${failure.error}`);
  runner.fail(
    `${failures.length} of ${results.length} targets failed: ${failures.map((failure) => failure.target).join(', ')} (details above and in the job summary)`,
  );
}
