// Audit mode's runner: one key listing, at most one GitHub read per slot (bounded), the pure findings of audit.ts,
// and the annotations that name each slot with a finding. Read-only: every request it sends is a GET.
import { auditSlot, expiryText, FINDING_ADVICE, FINDING_KINDS, type FindingKind, type SecretState } from './audit.ts';
import { mapBounded } from './concurrency.ts';
import type { Config } from './config.ts';
import type { ApiKey, KeyService } from './key-service.ts';
import { slotResult, type SlotResult } from './results.ts';
import type { RotationLog } from './rotate.ts';
import type { SecretReader } from './secret-store.ts';
import { formatDuration } from './duration.ts';
import { errorMessage } from './service-error.ts';
import { parseManagedKeyName, repositorySlot, type Slot } from './slots.ts';
import { stepLog } from './step-log.ts';

export interface AuditDeps {
  keys: KeyService;
  /** only with github-token: the GitHub checks (target-missing, not-written) */
  secrets?: SecretReader;
  log: RotationLog;
  now: () => Date;
  /** GitHub reads in flight at once */
  concurrency: number;
}

/** The slot's keys, its mint-mode job keys grouped with its repository secret (as revoke mode retires them). */
interface SlotKeys {
  slot: Slot;
  keys: ApiKey[];
  jobKeys: Set<ApiKey>;
}

export async function audit(config: Config, deps: AuditDeps): Promise<SlotResult[]> {
  let listing: ApiKey[];
  try {
    [, listing] = await Promise.all([deps.keys.authenticate(), deps.keys.listKeys()]);
  } catch (error) {
    if (config.allSlots) throw error;
    return config.slots.map((slot) => slotResult(slot, 'failed', { error: errorMessage(error) }));
  }
  const now = deps.now();
  const grouped = groupBySlot(listing, config.keyNamePrefix);
  const targets = config.allSlots
    ? [...grouped.values()].filter(({ keys }) => keys.some((key) => !key.revoked)).sort(bySlot)
    : config.slots.map((slot) => ({ ...(grouped.get(slotId(slot)) ?? { keys: [], jobKeys: new Set<ApiKey>() }), slot }));
  if (config.allSlots) {
    const retired = grouped.size - targets.length;
    stepLog.info(
      `Found ${targets.length} managed slot(s) with key prefix ${config.keyNamePrefix} among ${listing.length} listed keys` +
        (retired ? `; ${retired} slot(s) whose keys are all revoked (retired) are left out.` : '.'),
    );
  }
  const secrets = deps.secrets;
  const reads = await mapBounded(targets, deps.concurrency, async ({ slot, keys, jobKeys }): Promise<GitHubCheck | undefined> => {
    // Only a slot that has keys of its secret is checked on GitHub: mint-mode keys alone write no secret.
    if (!secrets || slot.kind === 'job' || !keys.some((key) => !jobKeys.has(key))) return undefined;
    try {
      return { state: await secrets.readSecret(slot) };
    } catch (error) {
      return { error: errorMessage(error) };
    }
  });
  return targets.map(({ slot, keys, jobKeys }, index) => {
    const read = reads[index];
    const report = auditSlot({
      slot,
      keys,
      isJobKey: (key) => jobKeys.has(key),
      secret: read?.state,
      now,
      warnBeforeMs: config.warnBeforeMs ?? 0,
    });
    const log = deps.log.forSlot(`${slot.target} ${slot.secretName}${slot.kind === 'dependabot' ? ' (Dependabot)' : ''}`);
    const newest = report.newest;
    log.info(
      keys.length === 0
        ? 'No managed keys found.'
        : `${keys.length} managed key(s)` +
            (newest ? `; newest active ${newest.name} (id ${newest.id}), expires ${expiryText(newest)}` : '; none active'),
    );
    for (const finding of report.findings) log.info(`${finding.kind}: ${finding.message}`);
    if (read?.error) log.warning(`The GitHub check failed: ${read.error}`);
    log.done();
    return slotResult(slot, read?.error ? 'failed' : 'audited', {
      keyId: newest?.id,
      keyName: newest?.name,
      expiresAt: newest?.expiresAt,
      error: read?.error,
      note: keys.length === 0 ? 'no managed keys found' : undefined,
      audit: { scope: slot.scope, keys: report.keys, findings: report.findings },
    });
  });
}

/** The step's first line: what is audited, and whether GitHub is checked too. */
export function describeAudit(config: Config): string {
  const targets = config.allSlots
    ? `every managed slot (key prefix ${config.keyNamePrefix})`
    : config.slots.map((slot) => `${slot.target} ${slot.secretName}`).join(', ');
  const github = config.githubToken ? 'with the GitHub checks' : 'without github-token: the GitHub checks are skipped';
  return `Auditing ${targets}, warn-before ${formatDuration(config.warnBeforeMs ?? 0)}, ${github}. Read-only: GET requests only.`;
}

/**
 * Annotations the run page shows: one per finding kind found, naming its slots (errors for the kinds in fail-on,
 * warnings for the others), then the step fails if any finding is of a kind in fail-on.
 */
export function reportFindings(results: SlotResult[], failOn: readonly FindingKind[]): void {
  const failing: string[] = [];
  for (const kind of FINDING_KINDS) {
    const slots = results.filter((result) => result.audit?.findings.some((finding) => finding.kind === kind));
    if (slots.length === 0) continue;
    const names = slots.slice(0, 20).map((result) => `${result.target} ${result.secretName}`);
    const more = slots.length > names.length ? ` and ${slots.length - names.length} more` : '';
    const text = `Audit: ${kind} in ${slots.length} slot(s): ${names.join(', ')}${more}. ${FINDING_ADVICE[kind].fix}`;
    if (failOn.includes(kind)) {
      failing.push(`${kind} in ${slots.length} slot(s)`);
      stepLog.error(text);
    } else {
      stepLog.warning(text);
    }
  }
  if (failing.length > 0) {
    stepLog.fail(`Audit found ${failing.join(', ')} (fail-on: ${failOn.join(',')}); see the annotations above and the job summary.`);
  }
}

interface GitHubCheck {
  state?: SecretState;
  error?: string;
}

/** A slot's identity: its key-name scope and secret name. */
function slotId(slot: Pick<Slot, 'scope' | 'secretName'>): string {
  return `${slot.scope}\n${slot.secretName}`;
}

/** Every managed key with this prefix, by its slot; a mint-mode job key goes with its repository's secret. */
function groupBySlot(listing: ApiKey[], prefix: string): Map<string, SlotKeys> {
  const slots = new Map<string, SlotKeys>();
  for (const key of listing) {
    const parsed = parseManagedKeyName(key.name);
    if (!parsed || parsed.prefix !== prefix) continue;
    const job = parsed.slot.kind === 'job';
    const [owner = '', repo = ''] = parsed.slot.target.split('/');
    const slot = job ? repositorySlot(owner, repo, parsed.slot.secretName) : parsed.slot;
    const id = slotId(slot);
    let entry = slots.get(id);
    if (!entry) slots.set(id, (entry = { slot, keys: [], jobKeys: new Set() }));
    entry.keys.push(key);
    if (job) entry.jobKeys.add(key);
  }
  return slots;
}

function bySlot(a: SlotKeys, b: SlotKeys): number {
  const key = ({ slot }: SlotKeys) => `${slot.target}\n${slot.secretName}\n${slot.scope}`;
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}
