// Audit mode: read-only. Every managed key of the targets (or, with `repositories: '*'`, of every slot in the key
// list), at most one GitHub read per slot, the findings of audit-findings.ts, and the annotations that name each
// slot with a finding. Every request it sends is a GET.
import {
  auditSlot,
  expiryText,
  FINDING_ADVICE,
  FINDING_KINDS,
  hasFinding,
  isRunWide,
  parseFindingKinds,
  runWideResult,
  type AuditDetail,
  type AuditedKey,
  type AuditResult,
  type Finding,
  type FindingKind,
} from '../audit-findings.ts';
import { formatDuration } from '../duration.ts';
import {
  InputError,
  parseDurationInput,
  parseKeyInputs,
  parseSecretSlots,
  parseStoreInputs,
  storeToken,
  type Inputs,
  type KeyInputs,
  type StoreInputs,
} from '../inputs.ts';
import type { ApiKey, KeyService } from '../key-service.ts';
import { reportFailures, setResultOutputs, slotResult } from '../results.ts';
import type { Runner } from '../runner.ts';
import type { SecretReader } from '../secret-store.ts';
import { errorMessage } from '../service-error.ts';
import { secretStoreFor, STORE_NAMES } from '../services.ts';
import { groupedLog, runSlots, type SlotLog } from '../slot-run.ts';
import { parseManagedKeyName, repositorySlot, type SecretSlot, type Slot } from '../slots.ts';
import { renderAuditSummary } from './audit-summary.ts';
import { startRun } from './frame.ts';

export interface AuditConfig extends KeyInputs, StoreInputs {
  mode: 'audit';
  /** the targets, or 'all': every managed slot in the key list (`repositories: '*'`) */
  slots: SecretSlot[] | 'all';
  /** a slot whose newest active key expires within this is `expiring` */
  warnBeforeMs: number;
  failOn: FindingKind[];
}

export function parse(input: Inputs, env: NodeJS.ProcessEnv): AuditConfig {
  const common = parseKeyInputs(input, env);
  const warnBeforeMs = parseDurationInput('warn-before', input('warn-before') || '7d', 0);
  // The runner applies the action.yml default (expired,expiring) when fail-on is not given: empty never fails.
  const { kinds, unknown } = parseFindingKinds(input('fail-on'));
  if (unknown.length > 0) {
    throw new InputError(
      `Input 'fail-on' names unknown finding kind(s) ${unknown.map((kind) => `'${kind}'`).join(', ')}: ` +
        `use a comma-separated list of ${FINDING_KINDS.join(', ')}, or leave it empty to never fail on findings.`,
    );
  }
  const all = input('repositories') === '*';
  if (all && (input('environment') || input('organization') || (input('secret-type') || 'actions') !== 'actions')) {
    throw new InputError(
      "Input 'repositories: *' audits every managed slot, whatever its repository, environment, organization or secret type: " +
        "remove 'environment', 'organization' and 'secret-type', or name the repositories.",
    );
  }
  const slots = all ? 'all' : parseSecretSlots(input, common.run, common.secretName);
  return { ...common, ...parseStoreInputs(input, env), mode: 'audit', slots, warnBeforeMs, failOn: kinds };
}

export async function run(runner: Runner): Promise<void> {
  const config = parse(runner.input, runner.env);
  runner.log.info(describe(config));
  const { footing, keys } = startRun(config, runner);
  const secrets = await secretStoreFor(config, runner, footing.gitHubAnswered);
  if (secrets?.limits) runner.log.info(secrets.limits);
  const results = await audit(config, runner, keys, secrets);
  // What the run stands on: run-wide findings, in one extra entry (target `run`) only when there are any.
  await footing.settled();
  const standing = footing.assess(new Date(), config.warnBeforeMs);
  const all = [...results, ...runWideResult(standing)];
  setResultOutputs(runner, all, auditJson);
  await runner.summary(renderAuditSummary(all, { title: 'Kubiya API key audit', now: standing.now, failOn: config.failOn }));
  await footing.report(runner, standing);
  reportFailures(runner, results);
  reportFindings(runner, all, config.failOn);
}

/** `secrets` only with the store's token: its checks (target-missing, and on GitHub not-written). */
async function audit(config: AuditConfig, runner: Runner, kubiya: KeyService, secrets: SecretReader | undefined): Promise<AuditResult[]> {
  const now = new Date();
  let grouped: Map<string, SlotKeys> | undefined;
  const keysOf = (slot: SecretSlot, listing: ApiKey[]) =>
    (grouped ??= groupBySlot(listing, config.keyNamePrefix)).get(slotId(slot)) ?? { keys: [], jobKeys: new Set<ApiKey>() };
  const everySlot = (listing: ApiKey[]): SecretSlot[] => {
    grouped = groupBySlot(listing, config.keyNamePrefix);
    const found = [...grouped.values()].filter(({ keys }) => keys.some((key) => !key.revoked)).sort(bySlot);
    const retired = grouped.size - found.length;
    runner.log.info(
      `Found ${found.length} managed slot(s) with key prefix ${config.keyNamePrefix} among ${listing.length} listed keys` +
        (retired ? `; ${retired} slot(s) whose keys are all revoked (retired) are left out.` : '.'),
    );
    return found.map(({ slot }) => slot);
  };
  const slots = config.slots === 'all' ? everySlot : config.slots;
  const title = (slot: SecretSlot) => `${slot.target} ${slot.secretName}${slot.kind === 'dependabot' ? ' (Dependabot)' : ''}`;
  return runSlots({ keys: kubiya, log: groupedLog(runner), slots, title }, async (slot, { listing, log }) => {
    const { keys, jobKeys } = keysOf(slot, listing);
    // Only a slot that has keys of its secret is checked on GitHub: mint-mode keys alone write no secret.
    const read = secrets && keys.some((key) => !jobKeys.has(key)) ? await readSecret(secrets, slot) : undefined;
    const report = auditSlot({ keys, isJobKey: (key) => jobKeys.has(key), secret: read?.state, now, warnBeforeMs: config.warnBeforeMs });
    const { newest, findings } = report;
    logSlot(log, keys.length, newest, findings, read?.error);
    return slotResult<AuditDetail>(slot, read?.error ? 'failed' : 'audited', {
      keyId: newest?.id,
      keyName: newest?.name,
      expiresAt: newest?.expiresAt,
      error: read?.error,
      note: keys.length === 0 ? 'no managed keys found' : undefined,
      detail: { scope: slot.scope, keys: report.keys, findings },
    });
  });
}

async function readSecret(secrets: SecretReader, slot: SecretSlot) {
  try {
    return { state: await secrets.readSecret(slot) };
  } catch (error) {
    return { error: errorMessage(error) };
  }
}

function logSlot(log: SlotLog, count: number, newest: AuditedKey | undefined, findings: Finding[], error: string | undefined): void {
  log.info(
    count === 0
      ? 'No managed keys found.'
      : `${count} managed key(s)` +
          (newest ? `; newest active ${newest.name} (id ${newest.id}), expires ${expiryText(newest)}` : '; none active'),
  );
  for (const finding of findings) log.info(`${finding.kind}: ${finding.message}`);
  if (error) log.warning(`The store's check failed: ${error}`);
}

/** The step's first line: what is audited, and whether GitHub is checked too. */
function describe(config: AuditConfig): string {
  const targets =
    config.slots === 'all'
      ? `every managed slot (key prefix ${config.keyNamePrefix})`
      : config.slots.map((slot) => `${slot.target} ${slot.secretName}`).join(', ');
  const name = STORE_NAMES[config.store];
  const checks = storeToken(config) ? `with the ${name} checks` : `without ${config.store}-token: the ${name} checks are skipped`;
  return `Auditing ${targets}, warn-before ${formatDuration(config.warnBeforeMs)}, ${checks}. Read-only: GET requests only.`;
}

/** The fields audit adds to each `results` entry. */
export function auditJson(detail: AuditDetail) {
  const keys = detail.keys.map((key) => ({
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
  }));
  return { scope: detail.scope, keys, findings: detail.findings };
}

/**
 * Annotations the run page shows: one per finding kind found, naming its slots (errors for the kinds in fail-on,
 * warnings for the others; a run-wide finding's annotation is the footing's), then the step fails if any finding is
 * of a kind in fail-on.
 */
function reportFindings(runner: Runner, results: AuditResult[], failOn: readonly FindingKind[]): void {
  const failing: string[] = [];
  for (const kind of FINDING_KINDS) {
    const slots = results.filter((result) => hasFinding(result, kind));
    if (slots.length === 0) continue;
    if (slots.some(isRunWide)) {
      if (failOn.includes(kind)) failing.push(`${kind} (run-wide)`);
      continue;
    }
    const names = slots.slice(0, 20).map((result) => `${result.target} ${result.secretName}`);
    const more = slots.length > names.length ? ` and ${slots.length - names.length} more` : '';
    const text = `Audit: ${kind} in ${slots.length} slot(s): ${names.join(', ')}${more}. ${FINDING_ADVICE[kind].fix}`;
    if (failOn.includes(kind)) {
      failing.push(`${kind} in ${slots.length} slot(s)`);
      runner.log.error(text);
    } else {
      runner.log.warning(text);
    }
  }
  if (failing.length > 0) {
    runner.fail(`Audit found ${failing.join(', ')} (fail-on: ${failOn.join(',')}); see the annotations above and the job summary.`);
  }
}

/** The slot's keys, its mint-mode job keys grouped with its repository secret (as revoke mode retires them). */
interface SlotKeys {
  slot: SecretSlot;
  keys: ApiKey[];
  jobKeys: Set<ApiKey>;
}

function slotId(slot: Pick<Slot, 'scope' | 'secretName'>): string {
  return `${slot.scope}\n${slot.secretName}`;
}

/** Every managed key with this prefix, by its slot; a mint-mode job key goes with its repository's secret. */
function groupBySlot(listing: ApiKey[], prefix: string): Map<string, SlotKeys> {
  const slots = new Map<string, SlotKeys>();
  for (const key of listing) {
    const parsed = parseManagedKeyName(key.name);
    if (!parsed || parsed.prefix !== prefix) continue;
    const { slot: named } = parsed;
    const [owner = '', repo = ''] = named.target.split('/');
    const slot = named.kind === 'job' ? repositorySlot(owner, repo, named.secretName) : named;
    const id = slotId(slot);
    let entry = slots.get(id);
    if (!entry) slots.set(id, (entry = { slot, keys: [], jobKeys: new Set() }));
    entry.keys.push(key);
    if (named.kind === 'job') entry.jobKeys.add(key);
  }
  return slots;
}

function bySlot(a: SlotKeys, b: SlotKeys): number {
  const key = ({ slot }: SlotKeys) => `${slot.target}\n${slot.secretName}\n${slot.scope}`;
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}
