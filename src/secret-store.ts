// What the rotation needs from where it keeps a key: a GitHub secret (github/secrets.ts, which also seals the value)
// or a GitLab CI/CD variable (gitlab/variables.ts). The core sees only these interfaces and the slots.
import { ServiceError } from './service-error.ts';
import type { OrgSecretVisibility, SecretSlot } from './slots.ts';

export interface PublicKey {
  keyId: string;
  /** base64 (original variant) X25519 public key of the secret's scope */
  key: string;
}

/** Who may read an organization secret, as its PUT takes it: kept exactly as it is when the secret is updated. */
export interface OrgSecretAccess {
  visibility: OrgSecretVisibility;
  /** Dependabot's PUT takes the repository ids as strings */
  selected_repository_ids?: number[] | string[];
}

/** What a write needs, read before anything is minted (reading it proves the token can read there, not that it may write). */
export interface WriteTarget {
  publicKey: PublicKey;
  /** organization secrets only */
  access?: OrgSecretAccess;
}

export interface WriteOptions {
  /** the moment, on `clock`, after which no attempt of the write (the first or a retry) is sent */
  sendBy: number;
  /** a monotonic clock in milliseconds */
  clock: () => number;
}

/** A write that sent no further attempt because `WriteOptions.sendBy` had passed (`outcomeUnknown`: an earlier one may have landed). */
export class WriteDeadlinePassed extends ServiceError {
  override name = 'WriteDeadlinePassed';
}

const EARLIER_UNANSWERED = '; an earlier attempt got no answer and may have been stored';

/** A write stopped at `sendBy`; `unanswered`: an earlier attempt got no answer, so the value may be stored. */
export function writeStopped(store: 'GitHub' | 'GitLab', action: string, unanswered: boolean): WriteDeadlinePassed {
  const earlier = unanswered ? EARLIER_UNANSWERED : '';
  return new WriteDeadlinePassed(`${store}: ${action} was stopped: no further attempt was sent${earlier}`, { outcomeUnknown: unanswered });
}

/** A write's failure after an earlier attempt got no answer: the value may be stored all the same. */
export function failedAfterUnanswered(failure: ServiceError): ServiceError {
  return new ServiceError(`${failure.message}${EARLIER_UNANSWERED}`, { status: failure.status, outcomeUnknown: true });
}

/** `T`: what the store reads before minting and needs for the write (GitHub: a WriteTarget); opaque to the core. */
export interface SecretStore<T = WriteTarget> {
  /** The access check before anything is minted for the slot; rejects (ServiceError) when the slot cannot be written. */
  prepare(slot: SecretSlot): Promise<T>;
  /**
   * Writes `value` (GitHub seals it first). Rejects with a ServiceError whose `outcomeUnknown` is set
   * when any attempt went unanswered: the secret may then hold the value, even if a later attempt failed; with a
   * WriteDeadlinePassed when `options.sendBy` passed before an attempt.
   */
  put(slot: SecretSlot, value: string, target: T, options: WriteOptions): Promise<'created' | 'updated'>;
}

/** What the store says about a slot's secret (its metadata, never its value). */
export type SecretState =
  | { state: 'present'; updatedAt?: Date }
  /** `what` says what does not exist: the secret, the environment, or the repository or organization */
  | { state: 'missing'; what: string };

/** What audit mode reads from the store: a secret's metadata, never its value. */
export interface SecretReader {
  /** what this store cannot tell, said once in the audit's log (GitLab: when a variable was written) */
  readonly limits?: string;
  /**
   * Whether the slot's secret exists and when it was last written: one read, plus on a 404 the reads that tell
   * which of secret, environment, repository or organization is missing. Rejects with a ServiceError for anything
   * else (a token that may not read it, a rate limit, no answer).
   */
  readSecret(slot: SecretSlot): Promise<SecretState>;
}
