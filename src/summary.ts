// The job summary: one table row per target, then the keys revoked or kept, then what failed and why.
import type { ApiKey } from './key-service.ts';
import type { SlotResult, SlotStatus } from './results.ts';

const STATUS_LABEL: Record<SlotStatus, string> = {
  rotated: '✅ rotated',
  minted: '✅ minted',
  revoked: '🗑️ revoked',
  planned: '📝 planned',
  skipped: '⏭️ skipped',
  failed: '❌ failed',
};

const NONE = '—';

export function renderSummary(results: SlotResult[], options: { title: string; dryRun: boolean }): string {
  const sections = [`## ${options.title}${options.dryRun ? ' — dry-run plan (nothing was changed)' : ''}`];
  sections.push(
    table(
      ['Target', 'Secret', 'Status', 'Key', 'Key id', 'Expires', 'Revoked'],
      results.map((result) => [
        result.target,
        result.secretName,
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
        revoked.map(({ target, key }) => [target, code(key.name), code(key.id), when(key.createdAt), when(key.lastUsed)]),
      ),
    );
  }
  const kept = keysOf(results, 'keptKeys');
  if (kept.length > 0) {
    sections.push('### Superseded keys kept for now (grace period, or revoke-previous: false)');
    sections.push(
      table(
        ['Target', 'Key', 'Key id', 'Created', 'Expires'],
        kept.map(({ target, key }) => [target, code(key.name), code(key.id), when(key.createdAt), when(key.expiresAt)]),
      ),
    );
  }
  const notes = results.filter((result) => result.error ?? result.note);
  if (notes.length > 0) {
    sections.push('### Details');
    sections.push(notes.map((result) => `- **${escape(result.target)}**: ${escape(result.error ?? result.note ?? '')}`).join('\n'));
  }
  return `${sections.join('\n\n')}\n`;
}

function keysOf(results: SlotResult[], field: 'revokedKeys' | 'keptKeys'): { target: string; key: ApiKey }[] {
  return results.flatMap((result) => result[field].map((key) => ({ target: result.target, key })));
}

/** A Markdown table without the columns that say nothing in any row (revoke mode has no new key, say). */
function table(headers: string[], rows: string[][]): string {
  const shown = headers.map((_, column) => rows.some((cells) => cells[column] !== NONE));
  const pick = (cells: string[]) => cells.filter((_, column) => shown[column]);
  const line = (cells: string[]) => `| ${pick(cells).map(escape).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Minutes are enough to read, and short enough not to wrap: `2026-12-27 16:21 UTC`. */
export function when(date: Date | undefined): string {
  return date ? `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC` : NONE;
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

function escape(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}
