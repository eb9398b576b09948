// What a run did to each target: the `results` output, the summary and the exit code are read from this.
import type { ApiKey } from './key-service.ts';

export type SlotStatus = 'rotated' | 'minted' | 'revoked' | 'planned' | 'skipped' | 'failed';

export interface SlotResult {
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
  /**
   * superseded keys kept because they are younger than the in-flight window (W) relative to this run's key:
   * another run may still be writing them into the secret; the next run revokes them
   */
  inFlightKeys?: ApiKey[];
  /** the PUT's outcome is unknown: the secret may hold `keyId` or the key it held before; neither was revoked */
  writeUnknown?: true;
  /** what happened, one line, for the summary: "secret updated", "dry-run: would mint …" */
  note?: string;
  error?: string;
}

/** The `results` output: one object per target, exactly the fields the spec names. */
export function resultsJson(results: SlotResult[]): string {
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
    })),
  );
}
