// The job summary of the modes that mint or revoke: one table row per target, then the keys revoked or kept, then
// what failed and why; and the helpers every summary renders with (audit's is modes/audit-summary.ts).
import type { ApiKey } from './key-service.ts';
import type { SlotResult, SlotStatus } from './results.ts';

const STATUS_LABEL: Record<SlotStatus, string> = {
  rotated: '✅ rotated',
  minted: '✅ minted',
  revoked: '🗑️ revoked',
  planned: '📝 planned',
  skipped: '⏭️ skipped',
  audited: '🔎 audited',
  failed: '❌ failed',
};

export const NONE = '—';

export function renderSummary(results: SlotResult[], options: { title: string; dryRun: boolean }): string {
  const sections = [`## ${options.title}${options.dryRun ? ' — dry-run plan (nothing was changed)' : ''}`];
  sections.push(
    table(
      ['Target', 'Secret', 'Status', 'Key', 'Key id', 'Expires', 'Revoked'],
      results.map((result) => [
        text(result.target),
        text(result.secretName),
        STATUS_LABEL[result.status],
        result.keyName ? code(result.keyName) : NONE,
        result.keyId ? code(result.keyId) : NONE,
        when(result.expiresAt),
        result.revokedKeys.length ? String(result.revokedKeys.length) : NONE,
      ]),
    ),
  );
  const revoked = keysOf(results, 'revokedKeys');
  if (revoked.length > 0) {
    sections.push(options.dryRun ? '### Keys that would be revoked' : '### Keys revoked');
    sections.push(
      table(
        ['Target', 'Key', 'Key id', 'Created', 'Last used'],
        revoked.map(({ target, key }) => [text(target), code(key.name), code(key.id), when(key.createdAt), when(key.lastUsed)]),
      ),
    );
  }
  const kept = keysOf(results, 'keptKeys');
  if (kept.length > 0) {
    sections.push('### Superseded keys kept for now (grace period, or revoke-previous: false)');
    sections.push(
      table(
        ['Target', 'Key', 'Key id', 'Created', 'Expires'],
        kept.map(({ target, key }) => [text(target), code(key.name), code(key.id), when(key.createdAt), when(key.expiresAt)]),
      ),
    );
  }
  const inFlight = keysOf(results, 'inFlightKeys');
  if (inFlight.length > 0) {
    sections.push('### Kept: may still be on its way into the secret (an overlapping run minted it minutes ago; a later run revokes it)');
    sections.push(
      table(
        ['Target', 'Key', 'Key id', 'Created', 'Expires'],
        inFlight.map(({ target, key }) => [text(target), code(key.name), code(key.id), when(key.createdAt), when(key.expiresAt)]),
      ),
    );
  }
  const notes = results.filter((result) => result.error ?? result.note);
  if (notes.length > 0) {
    sections.push('### Details');
    sections.push(notes.map((result) => `- **${text(result.target)}**: ${text(result.error ?? result.note ?? '')}`).join('\n'));
  }
  return `${sections.join('\n\n')}\n`;
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

function keysOf(results: SlotResult[], field: 'revokedKeys' | 'keptKeys' | 'inFlightKeys'): { target: string; key: ApiKey }[] {
  return results.flatMap((result) => result[field].map((key) => ({ target: result.target, key })));
}

/**
 * A Markdown table without the columns that say nothing in any row (revoke mode has no new key, say). Cells
 * come rendered: through text() or code().
 */
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

/** Server strings (names, ids) are data: shown as code, escaped so that nothing in them is markup. */
export function code(value: string): string {
  return `<code>${html(value)
    .replace(/\|/g, '&#124;')
    .replace(/\r\n|\r|\n/g, ' ')}</code>`;
}

/** Plain text in a cell or a line: no markup (links, images, emphasis, HTML) and no line break survives. */
export function text(value: string): string {
  return html(value)
    .replace(/[\\`*[\]|]/g, '\\$&')
    .replace(/\r\n|\r|\n/g, ' ');
}

function html(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
