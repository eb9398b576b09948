// What a run did to each target: the `results` output, the summary and the exit code are read from this.
import type { AuditedKey, Finding } from './audit.ts';
import type { ApiKey } from './key-service.ts';
import type { Slot } from './slots.ts';

export type SlotStatus = 'rotated' | 'minted' | 'revoked' | 'planned' | 'skipped' | 'audited' | 'failed';

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
  /** audit mode: the slot's managed keys (newest first) and what was found */
  audit?: { scope: string; keys: AuditedKey[]; findings: Finding[] };
}

/** A slot's result, with no keys revoked or kept unless `fields` says so. */
export function slotResult(slot: Pick<Slot, 'target' | 'secretName'>, status: SlotStatus, fields: Partial<SlotResult> = {}): SlotResult {
  return { target: slot.target, secretName: slot.secretName, status, revokedKeys: [], keptKeys: [], inFlightKeys: [], ...fields };
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
      // Named when they apply: keys kept because they may still be on their way into the secret, and a write whose
      // outcome is unknown (the secret may hold keyId or the key before it).
      ...(result.inFlightKeys.length > 0 && { inFlightKeyIds: result.inFlightKeys.map((key) => key.id) }),
      ...(result.writeUnknown && { writeUnknown: true }),
      ...(result.audit && { scope: result.audit.scope, keys: result.audit.keys.map(keyJson), findings: result.audit.findings }),
    })),
  );
}

function keyJson(key: AuditedKey) {
  return {
    id: key.id,
    name: key.name,
    createdAt: key.createdAt?.toISOString() ?? null,
    expiresAt: key.expiresAt?.toISOString() ?? null,
    // not listed: created_at + 365 days, the latest a Kubiya key can expire
    ...(key.expiresAtInferred && { expiresAtInferred: true }),
    lastUsed: key.lastUsed?.toISOString() ?? null,
    active: key.active,
    revoked: key.revoked,
    jobKey: key.jobKey,
  };
}
