// Audit mode's findings: what a rotation that silently stopped leaves behind. Pure: decided from the listed
// keys of one slot, what GitHub said about its secret (when a token was given) and the clock.
import { FOOTING_FIX, footingLine, type Credential, type Standing } from './footing.ts';
import { withExpiry, type ApiKey } from './key-service.ts';
import { compareKeys, IN_FLIGHT_WINDOW_MS } from './revocation.ts';
import { slotResult, type SlotResult } from './results.ts';
import type { SecretState } from './secret-store.ts';
import { iso } from './summary.ts';

/** What each finding means and what to do about it: the job summary and the annotations say it in these words. */
export const FINDING_ADVICE = {
  expired: {
    title: 'Expired',
    meaning: 'No key of the secret is valid any more: the secret holds an expired or revoked key, and CI that uses it fails.',
    fix: 'Run the rotation now (workflow_dispatch), then find out why the scheduled one stopped: check the schedule and the last run.',
  },
  expiring: {
    title: 'Expiring',
    meaning: 'The newest key expires within warn-before and no newer key exists: the scheduled rotation has stopped.',
    fix:
      'Run the rotation now, then check the schedule (GitHub disables scheduled workflows of public repositories after 60 days ' +
      'without activity) and the token of the last runs (an expired github-token or admin-api-key fails every run).',
  },
  lingering: {
    title: 'Lingering',
    meaning:
      'Superseded keys are still active well after a newer key was minted: the revocation did not happen (or grace-period ' +
      'or revoke-previous: false keeps them until the next rotation or their expiry).',
    fix: 'The next rotation revokes them; if they stay, check that run for a failed revocation, or revoke them by id in Kubiya.',
  },
  'orphan-job-key': {
    title: 'Orphan job key',
    meaning: 'A mint-mode key is still active more than 6 hours after it was minted: its post step never ran (or revoke-on-exit: false).',
    fix:
      'Revoke it by id in Kubiya, or with mode: revoke for the repository (that also revokes the secret’s keys: rotate right after). ' +
      'Keys kept on purpose with revoke-on-exit: false expire on their own.',
  },
  'target-missing': {
    title: 'Target missing',
    meaning: 'The repository, environment or secret these keys were minted for no longer exists: the keys serve nothing.',
    fix: 'Retire the slot with mode: revoke for that target, and remove it from the rotation’s repositories.',
  },
  'not-written': {
    title: 'Not written',
    meaning:
      'The newest key was minted but the secret was last written before it: the write never landed, and the secret holds an older key.',
    fix: 'Run the rotation now and read its log: check that github-token may still write the secret (and has not expired).',
  },
  'admin-key-expiring': {
    title: 'Admin key expiring',
    meaning:
      'admin-api-key expires within 30 days (or warn-before, if longer): from then on every rotation fails, and CI breaks ' +
      'when the keys it keeps fresh run out.',
    fix: FOOTING_FIX['admin-api-key'],
  },
  'github-token-expiring': {
    title: 'github-token expiring',
    meaning:
      'github-token, a personal access token, expires within 30 days (or warn-before, if longer): from then on rotations ' +
      'can no longer write the secrets.',
    fix: FOOTING_FIX['github-token'],
  },
  'gitlab-token-expiring': {
    title: 'GitLab token expiring',
    meaning:
      'GITLAB_TOKEN expires within 30 days (or warn-before, if longer), or GitLab no longer accepts it: from then on ' +
      'rotations can no longer write the CI/CD variables.',
    fix: FOOTING_FIX['gitlab-token'],
  },
} satisfies Record<string, { title: string; meaning: string; fix: string }>;

export type FindingKind = keyof typeof FINDING_ADVICE;
/** In the order the summary and the annotations list them. */
export const FINDING_KINDS = Object.keys(FINDING_ADVICE) as readonly FindingKind[];

/** The kinds about what the run stands on, not about a slot: reported in one extra result, target `run`. */
const RUN_WIDE: Record<Credential, FindingKind> = {
  'admin-api-key': 'admin-key-expiring',
  'github-token': 'github-token-expiring',
  'gitlab-token': 'gitlab-token-expiring',
};
const RUN_TARGET = 'run';

/** A mint-mode key older than this is one whose post step never ran (or ran with revoke-on-exit: false). */
const ORPHAN_JOB_KEY_AGE_MS = 6 * 3_600_000;

export interface Finding {
  kind: FindingKind;
  /** what was found, in words, naming the keys concerned */
  message: string;
  /** ids of the keys it is about */
  keyIds: string[];
}

export interface AuditedKey extends ApiKey {
  /** a mint-mode key of one of the repository's jobs, not a key of the secret */
  jobKey: boolean;
  /** not revoked and not expired */
  active: boolean;
}

/** What audit adds to a slot's result: its managed keys (newest first) and what was found. */
export interface AuditDetail {
  scope: string;
  keys: AuditedKey[];
  findings: Finding[];
}

export type AuditResult = SlotResult<AuditDetail>;

export interface AuditInput {
  /** the slot's keys as listed (and, for a repository secret, its repository's mint-mode job keys) */
  keys: ApiKey[];
  /** which of `keys` are mint-mode job keys */
  isJobKey: (key: ApiKey) => boolean;
  /** undefined: not checked (no github-token, or no key of the secret to check it against) */
  secret?: SecretState;
  now: Date;
  warnBeforeMs: number;
}

/** `keys`: the keys given, newest first; `newest`: the newest active key of the secret, the one it should hold. */
export function auditSlot(input: AuditInput) {
  const { now } = input;
  const keys = input.keys
    // A key listed without an expiry expires a year after its creation at the latest: every finding uses that.
    .map((listed): AuditedKey => {
      const key = withExpiry(listed);
      const active = !key.revoked && (!key.expiresAt || key.expiresAt.getTime() > now.getTime());
      return { ...key, jobKey: input.isJobKey(listed), active };
    })
    .sort((a, b) => compareKeys(b, a));
  const secretKeys = keys.filter((key) => !key.jobKey);
  const active = secretKeys.filter((key) => key.active);
  const slot: AuditedSlot = { keys, secretKeys, active, newest: active[0], now, secret: input.secret, warnBeforeMs: input.warnBeforeMs };
  const findings = [expired, expiring, lingering, orphanJobKeys, targetMissing, notWritten].flatMap((find) => find(slot) ?? []);
  return { keys, newest: slot.newest, findings };
}

/** A slot as the findings read it: its keys newest first; the secret's keys; its active ones; the newest active. */
interface AuditedSlot extends Pick<AuditInput, 'secret' | 'now' | 'warnBeforeMs'> {
  keys: AuditedKey[];
  secretKeys: AuditedKey[];
  active: AuditedKey[];
  newest: AuditedKey | undefined;
}

function expired({ secretKeys, newest }: AuditedSlot): Finding | undefined {
  const last = secretKeys[0];
  if (!last || newest) return undefined;
  const how = last.revoked ? 'was revoked' : `expired ${expiryText(last)}`;
  const message = `no key of the secret is valid: the newest, ${last.name}, ${how}; the secret holds a dead key`;
  return { kind: 'expired', message, keyIds: [last.id] };
}

function expiring({ newest, now, warnBeforeMs }: AuditedSlot): Finding | undefined {
  if (!newest || (newest.expiresAt && newest.expiresAt.getTime() - now.getTime() > warnBeforeMs)) return undefined;
  // Listed with neither an expiry nor a creation time: it may run out any day, and a silent pass would be a false all-clear.
  const message = newest.expiresAt
    ? `the newest key, ${newest.name}, expires ${expiryText(newest)} and no newer key was minted: rotation has stopped`
    : `the newest key, ${newest.name}, was listed with neither an expiry nor a creation time, so when it expires is ` +
      'unknown (Kubiya keys live one year at most): rotate it to get a key whose expiry is known';
  return { kind: 'expiring', message, keyIds: [newest.id] };
}

function lingering({ active, newest, now }: AuditedSlot): Finding | undefined {
  const newestCreated = newest?.createdAt?.getTime();
  if (newestCreated === undefined || now.getTime() - newestCreated <= IN_FLIGHT_WINDOW_MS) return undefined;
  const superseded = active.slice(1).filter((key) => key.createdAt && newestCreated - key.createdAt.getTime() > IN_FLIGHT_WINDOW_MS);
  if (superseded.length === 0) return undefined;
  const message = `${superseded.length} superseded key(s) still active: ${superseded.map((key) => `${key.name} (expires ${expiryText(key)})`).join(', ')}`;
  return { kind: 'lingering', message, keyIds: superseded.map((key) => key.id) };
}

function orphanJobKeys({ keys, now }: AuditedSlot): Finding | undefined {
  const orphans = keys.filter(
    (key) => key.jobKey && key.active && key.createdAt && now.getTime() - key.createdAt.getTime() > ORPHAN_JOB_KEY_AGE_MS,
  );
  if (orphans.length === 0) return undefined;
  const message = `${orphans.length} mint-mode job key(s) still active hours after their job: ${orphans.map((key) => `${key.name} (created ${iso(key.createdAt)})`).join(', ')}`;
  return { kind: 'orphan-job-key', message, keyIds: orphans.map((key) => key.id) };
}

function targetMissing({ active, secret }: AuditedSlot): Finding | undefined {
  if (secret?.state !== 'missing') return undefined;
  const message = `${secret.what}: the slot's ${active.length} active key(s) serve nothing`;
  return { kind: 'target-missing', message, keyIds: active.map((key) => key.id) };
}

function notWritten({ secretKeys, secret }: AuditedSlot): Finding | undefined {
  const newestMinted = secretKeys.find((key) => !key.revoked);
  if (secret?.state !== 'present' || !secret.updatedAt || !newestMinted?.createdAt) return undefined;
  if (newestMinted.createdAt.getTime() - secret.updatedAt.getTime() <= IN_FLIGHT_WINDOW_MS) return undefined;
  const message = `the secret was last written ${iso(secret.updatedAt)}, before the newest key ${newestMinted.name} was created (${iso(newestMinted.createdAt)}): that key never reached the secret`;
  return { kind: 'not-written', message, keyIds: [newestMinted.id] };
}

/**
 * The extra `results` entry (target `run`) with the run-wide findings: each credential the run stands on that expires
 * within 30 days (or warn-before, if longer). None when there are none.
 */
export function runWideResult(standing: Standing): AuditResult[] {
  const findings = standing.credentials
    .filter((expiry) => expiry.urgency !== 'none')
    .map((expiry): Finding => ({ kind: RUN_WIDE[expiry.credential], message: footingLine(expiry, standing.now), keyIds: [] }));
  if (findings.length === 0) return [];
  const detail = { scope: RUN_TARGET, keys: [], findings };
  return [slotResult<AuditDetail>({ target: RUN_TARGET, secretName: '' }, 'audited', { detail })];
}

export function hasFinding(result: AuditResult, kind: FindingKind): boolean {
  return result.detail?.findings.some((finding) => finding.kind === kind) ?? false;
}

/** The run-wide entry of audit's results, not a slot. */
export function isRunWide(result: Pick<SlotResult, 'target'>): boolean {
  return result.target === RUN_TARGET;
}

/** The finding kinds of `fail-on`: comma-separated, blanks ignored; undefined entries are returned as `unknown`. */
export function parseFindingKinds(value: string): { kinds: FindingKind[]; unknown: string[] } {
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const known = (entry: string): entry is FindingKind => (FINDING_KINDS as readonly string[]).includes(entry);
  return { kinds: [...new Set(entries.filter(known))], unknown: entries.filter((entry) => !known(entry)) };
}

/** A key's expiry for a message: `2026-06-01T12:00:00Z`, marked `(inferred)` when it was not listed. */
export function expiryText(key: Pick<ApiKey, 'expiresAt' | 'expiresAtInferred'>): string {
  return `${iso(key.expiresAt)}${key.expiresAtInferred ? ' (inferred: created_at + 365 days)' : ''}`;
}
