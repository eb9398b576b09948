// The job summary of the modes that mint or revoke: one table row per target, then the keys revoked or kept, then
// what failed and why; and the helpers every summary renders with (audit's is modes/audit-summary.ts).
import type { SlotResult, SlotStatus } from './results.ts';
import { IN_FLIGHT_WINDOW_MS } from './revocation.ts';

const STATUS_LABEL: Record<SlotStatus, string> = {
  rotated: '✅ rotated',
  minted: '✅ minted',
  revoked: '🗑️ revoked',
  planned: '📝 planned',
  skipped: '⏭️ skipped',
  audited: '🔎 audited',
  checked: '🩺 checked',
  failed: '❌ failed',
};

export const NONE = '—';

export interface SummaryOptions {
  title: string;
  dryRun: boolean;
  /** why superseded keys are kept (`keptKeys`): the grace period, or revoke-previous false */
  keptBecause?: string;
}

export function renderSummary(results: SlotResult[], options: SummaryOptions): string {
  const sections = [
    `## ${options.title}${options.dryRun ? ' — dry-run plan (nothing was changed)' : ''}`,
    verdictOf(results),
    table(
      ['Target', 'Secret', 'Status', 'Key', 'Key id', 'Expires', 'Revoked'],
      results.map((result) => [
        text(result.target),
        text(result.secretName),
        STATUS_LABEL[result.status],
        ...keyCells(result),
        result.revokedKeys.length ? String(result.revokedKeys.length) : NONE,
      ]),
    ),
  ];
  const keySections = [
    ['revokedKeys', options.dryRun ? '### Keys that would be revoked' : '### Keys revoked', 'Last used'],
    [
      'keptKeys',
      `### Superseded keys kept for now: ${options.keptBecause ?? 'grace period, or revoke-previous: false'}; a later run revokes them`,
      'Expires',
    ],
    [
      'inFlightKeys',
      `### Kept by the in-flight window: minted less than ${IN_FLIGHT_WINDOW_MS / 60_000} minutes before this run's key (or at an ` +
        'unknown time), they may still be on their way into the secret; a later run revokes them',
      'Expires',
    ],
  ] as const;
  for (const [field, heading, last] of keySections) {
    const rows = results.flatMap((result) =>
      result[field].map((key) => [
        text(result.target),
        code(key.name),
        code(key.id),
        when(key.createdAt),
        when(last === 'Last used' ? key.lastUsed : key.expiresAt),
      ]),
    );
    if (rows.length > 0) sections.push(heading, table(['Target', 'Key', 'Key id', 'Created', last], rows));
  }
  const notes = results.filter((result) => result.error ?? result.note);
  if (notes.length > 0) {
    sections.push('### Details');
    sections.push(notes.map((result) => `- **${text(result.target)}**: ${text(result.error ?? result.note ?? '')}`).join('\n'));
  }
  return `${sections.join('\n\n')}\n`;
}

/**
 * The one line a reader needs first: how many targets did what, and, when some failed, which and why (the error's
 * first clause). `✅ 3 of 3 targets rotated` · `❌ 1 of 3 targets failed: acme/web — secret write: GitHub refused…`
 */
function verdictOf(results: SlotResult[]): string {
  const failed = results.filter((result) => result.status === 'failed');
  const counts = (Object.keys(STATUS_LABEL) as SlotStatus[])
    .filter((status) => status !== 'failed')
    .map((status) => ({ status, count: results.filter((result) => result.status === status).length }))
    .filter(({ count }) => count > 0);
  const done = counts.map(({ status, count }) => `${count} ${status}`).join(', ');
  if (failed.length === 0) {
    const only = counts.length === 1 ? counts[0]! : undefined;
    const icon = only?.status === 'planned' ? '📝' : '✅';
    return only
      ? `**${icon} ${only.count} of ${results.length} target(s) ${only.status}**`
      : `**${icon} ${results.length} target(s): ${done || 'nothing done'}**`;
  }
  const shown = failed.slice(0, 3).map((result) => text(result.target) + (result.error ? ` — ${text(shortReason(result.error))}` : ''));
  const more = failed.length > shown.length ? `; and ${failed.length - shown.length} more` : '';
  return `**❌ ${failed.length} of ${results.length} target(s) failed:** ${shown.join('; ')}${more}${done ? ` (${done})` : ''}`;
}

/** An error's first clause, short enough for the verdict line; the Details section has all of it. */
function shortReason(error: string): string {
  const clause = error.split('; ')[0]!;
  return clause.length > 120 ? `${clause.slice(0, 119)}…` : clause;
}

/** The Key, Key id and Expires cells: a key taken back (rolled or stepped back) says so, and once revoked shows no expiry. */
function keyCells(result: SlotResult): [string, string, string] {
  const name = result.keyName ? code(result.keyName) : NONE;
  const id = result.keyId ? code(result.keyId) : NONE;
  if (result.rolledBack === 'revoked') return [`${name}<br>rolled back: revoked`, id, NONE];
  if (result.rolledBack === 'live') return [`${name}<br>rolled back, not in the secret; could not be revoked`, id, when(result.expiresAt)];
  if (result.writeUnknown) return [`${name}<br>write unknown: the secret may hold it or the previous key`, id, when(result.expiresAt)];
  return [name, id, when(result.expiresAt)];
}

/** `in 5 days`, `2 hours ago`, `now`: how far `date` is from `now`, in the largest unit that reads well. */
export function relative(date: Date, now: Date): string {
  const ms = date.getTime() - now.getTime();
  const abs = Math.abs(ms);
  if (abs < 60_000) return 'now';
  const [n, unit] =
    abs < 3_600_000
      ? [Math.round(abs / 60_000), 'minute']
      : abs < 48 * 3_600_000
        ? [Math.round(abs / 3_600_000), 'hour']
        : [Math.round(abs / 86_400_000), 'day'];
  const span = `${n} ${unit}${n === 1 ? '' : 's'}`;
  return ms > 0 ? `in ${span}` : `${span} ago`;
}

/** A Markdown table without the columns that say nothing in any row (revoke mode has no new key, say); cells come rendered. */
export function table(headers: string[], rows: string[][]): string {
  const shown = headers.map((_, column) => rows.some((cells) => cells[column] !== NONE));
  const pick = (cells: string[]) => cells.filter((_, column) => shown[column]);
  const line = (cells: string[]) => `| ${pick(cells).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Minutes are enough to read, and short enough not to wrap: `2026-12-27 16:21 UTC`. */
export function when(date: Date | undefined): string {
  return date ? `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC` : NONE;
}

/** To the second, for messages: `2026-12-27T16:21:09Z`. */
export function iso(date: Date | undefined): string {
  return date ? date.toISOString().replace(/\.\d{3}Z$/, 'Z') : '(unknown)';
}

/** Server strings (names, ids) are data: shown as code, and as inert as text() makes them. */
export function code(value: string): string {
  return `<code>${text(value)}</code>`;
}

/**
 * Every character that Markdown, GFM or HTML give a meaning — links, images, emphasis, strikethrough, code spans,
 * tags, entities, table pipes — and the `:`, `.` and `@` of GFM's autolinks (`https://…`, `www.…`, `a@b.c`) and
 * GitHub's emoji (`:x:`), mentions (`@x`), references (`#1`) and math (`$x$`).
 */
const MARKUP = /[!"#$&'()*+.:<=>@[\\\]_`{|}~]/g;

/**
 * The one escape of server strings for the summary, in text and in code cells alike: each markup character becomes
 * its numeric HTML entity, which every renderer shows as the character typed and none reads as markup; a line break
 * becomes a space. So a key named `[x](https://evil)` or `<img src=x>` shows just that, never a link or an image.
 */
export function text(value: string): string {
  return value.replace(MARKUP, (char) => `&#${char.charCodeAt(0)};`).replace(/\r\n|\r|\n/g, ' ');
}
