// Audit mode's job summary, for a security engineer: the verdict and the findings first — one row per slot with a
// finding (its newest key, when that expires and was last used) — then what each kind of finding means and how to
// fix it, then the slots without findings, folded.
import { FINDING_ADVICE, FINDING_KINDS, hasFinding, isRunWide, type AuditResult, type FindingKind } from '../audit-findings.ts';
import { code, NONE, relative, table, text, when } from '../summary.ts';

interface Options {
  title: string;
  now: Date;
  failOn: readonly FindingKind[];
}

const HEADERS = ['Target', 'Secret', 'Newest key', 'Expires', 'Last used'];

/** `results`: the slots, and the run-wide entry (target `run`) when the run's credentials had findings. */
export function renderAuditSummary(all: AuditResult[], options: Options): string {
  const results = all.filter((result) => !isRunWide(result));
  const runWide = all.filter(isRunWide);
  const flagged = results.filter((result) => result.status === 'failed' || (result.detail?.findings.length ?? 0) > 0);
  const clean = results.filter((result) => !flagged.includes(result)).sort((a, b) => expiry(a) - expiry(b));
  const sections = [`## ${options.title}`, verdict(results, flagged, runWide, options)];
  if (flagged.length + runWide.length > 0) sections.push(...findingSections(flagged, runWide, options));
  if (clean.length > 0) {
    const rows = clean.map((result) => row(result, options));
    const cleanTable = table(HEADERS, rows);
    sections.push(
      flagged.length > 0 || clean.length > 20
        ? `<details><summary>${clean.length} slot(s) without findings</summary>\n\n${cleanTable}\n\n</details>`
        : `### Slots\n\n${cleanTable}`,
    );
  }
  return `${sections.join('\n\n')}\n`;
}

function verdict(results: AuditResult[], flagged: AuditResult[], runWide: AuditResult[], { now, failOn }: Options): string {
  const findings = [...results, ...runWide].flatMap((result) => result.detail?.findings ?? []);
  const keyCount = results.reduce((sum, result) => sum + (result.detail?.keys.length ?? 0), 0);
  const failing = findings.filter((finding) => failOn.includes(finding.kind)).length;
  const failed = results.filter((result) => result.status === 'failed').length;
  const counts = FINDING_KINDS.map((kind) => ({ kind, slots: results.filter((result) => hasFinding(result, kind)).length }))
    .filter(({ slots }) => slots > 0)
    .map(({ kind, slots }) => `${icon(kind, failOn)} ${kind}: ${slots}`);
  const runKinds = runWide.flatMap((result) => result.detail?.findings ?? []).map(({ kind }) => `${icon(kind, failOn)} ${kind} (run-wide)`);
  counts.push(...runKinds);
  const line =
    findings.length === 0 && failed === 0
      ? `**✅ No findings** in ${results.length} slot(s), ${keyCount} managed key(s).`
      : `**${failing > 0 || failed > 0 ? '❌' : '⚠️'} ${findings.length} finding(s) in ${flagged.length} of ${results.length} slot(s)` +
        `${runKinds.length ? ' and the run' : ''}**` +
        ` (${keyCount} managed keys)` +
        (counts.length ? ` — ${counts.join(' · ')}` : '') +
        (failed ? ` — ❌ ${failed} slot(s) could not be checked` : '');
  const failOnText = failOn.length ? failOn.map((kind) => `\`${kind}\``).join(', ') : 'nothing (empty)';
  return `${line}\n\nAudited ${when(now)}. fail-on: ${failOnText}${failing > 0 ? ' — this step fails.' : '.'}`;
}

/** The slots with findings, most severe first; what each kind means and how to fix it (run-wide ones too); the failed checks. */
function findingSections(flagged: AuditResult[], runWide: AuditResult[], options: Options): string[] {
  const { failOn } = options;
  const severity = (result: AuditResult) =>
    result.status === 'failed' || result.detail?.findings.some((finding) => failOn.includes(finding.kind)) ? 0 : 1;
  const ordered = [...flagged].sort((a, b) => severity(a) - severity(b) || expiry(a) - expiry(b));
  const sections: string[] = [];
  if (ordered.length > 0) {
    const rows = ordered.map((result) => row(result, options, true));
    sections.push('### Slots with findings', table([...HEADERS, 'Findings'], rows));
  }
  sections.push('### What to do');
  for (const kind of FINDING_KINDS) {
    const concerned = [...ordered, ...runWide].filter((result) => hasFinding(result, kind));
    if (concerned.length === 0) continue;
    const advice = FINDING_ADVICE[kind];
    const lines = concerned.flatMap((result) =>
      result.detail!.findings.filter((finding) => finding.kind === kind).map((finding) => findingLine(result, finding)),
    );
    sections.push(
      `#### ${icon(kind, failOn)} ${advice.title} (\`${kind}\`): ${concerned.some(isRunWide) ? 'run-wide' : `${concerned.length} slot(s)`}` +
        `${failOn.includes(kind) ? ', fails this step' : ''}\n\n` +
        `${advice.meaning}\n\n**Fix:** ${advice.fix}\n\n${lines.join('\n')}`,
    );
  }
  const errors = flagged.filter((result) => result.error);
  if (errors.length > 0) {
    sections.push('#### ❌ Checks that failed');
    sections.push(errors.map((result) => `- **${text(result.target)}** ${text(result.secretName)}: ${text(result.error!)}`).join('\n'));
  }
  return sections;
}

function row(result: AuditResult, { now, failOn }: Options, withFindings = false): string[] {
  const key = shownKey(result);
  const cells = [
    `${text(result.target)}${result.detail?.scope.endsWith('/dependabot') ? ' (Dependabot)' : ''}`,
    text(result.secretName),
    key ? code(key.name) : NONE,
    key?.expiresAt
      ? `**${relative(key.expiresAt, now)}**<br>${when(key.expiresAt)}${key.expiresAtInferred ? '<br>(inferred: created + 365 days)' : ''}`
      : key && !key.revoked
        ? 'unknown'
        : NONE,
    key?.lastUsed ? `${relative(key.lastUsed, now)}<br>${when(key.lastUsed)}` : NONE,
  ];
  if (!withFindings) return cells;
  const kinds = [...new Set(result.detail?.findings.map((finding) => finding.kind))].map((kind) => `${icon(kind, failOn)} ${kind}`);
  if (result.status === 'failed') kinds.push('❌ check failed');
  return [...cells, kinds.join('<br>')];
}

/** Who a finding is about (a slot, or the run itself), what was found, and the keys concerned. */
function findingLine(result: AuditResult, { message, keyIds }: { message: string; keyIds: string[] }): string {
  const who = isRunWide(result) ? '**This run**' : `**${text(result.target)}** ${text(result.secretName)}`;
  return `- ${who}: ${text(message)}` + (keyIds.length ? ` — key id(s) ${keyIds.map(code).join(', ')}` : '');
}

function icon(kind: FindingKind, failOn: readonly FindingKind[]): string {
  return failOn.includes(kind) ? '❌' : '⚠️';
}

/** The key a slot's row shows: its newest active key of the secret, else its newest key of the secret, else its newest key. */
function shownKey(result: AuditResult) {
  const keys = result.detail?.keys ?? [];
  const secretKeys = keys.filter((key) => !key.jobKey);
  return secretKeys.find((key) => key.active) ?? secretKeys[0] ?? keys[0];
}

function expiry(result: AuditResult): number {
  return shownKey(result)?.expiresAt?.getTime() ?? Number.MAX_SAFE_INTEGER;
}
