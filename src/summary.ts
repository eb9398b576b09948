// The job summary: one table row per target, then the keys revoked, then what failed and why.
import type { SlotResult, SlotStatus } from './results.ts';

const STATUS_LABEL: Record<SlotStatus, string> = {
  rotated: '✅ rotated',
  minted: '✅ minted',
  revoked: '🗑️ revoked',
  planned: '📝 planned',
  skipped: '⏭️ skipped',
  failed: '❌ failed',
};

export function renderSummary(results: SlotResult[], options: { title: string; dryRun: boolean }): string {
  const lines = [`## ${options.title}${options.dryRun ? ' — dry-run plan (nothing was changed)' : ''}`, ''];
  lines.push('| Target | Secret | Status | Key | Key id | Expires | Revoked |', '| --- | --- | --- | --- | --- | --- | --- |');
  for (const result of results) {
    lines.push(
      row([
        result.target,
        result.secretName,
        STATUS_LABEL[result.status],
        result.keyName ? code(result.keyName) : '—',
        result.keyId ? code(result.keyId) : '—',
        result.expiresAt ? result.expiresAt.toISOString() : '—',
        result.revokedKeys.length ? String(result.revokedKeys.length) : '—',
      ]),
    );
  }
  const revoked = results.flatMap((result) => result.revokedKeys.map((key) => ({ target: result.target, key })));
  if (revoked.length > 0) {
    lines.push('', options.dryRun ? '### Keys that would be revoked' : '### Keys revoked', '');
    lines.push('| Target | Key | Key id | Created | Last used |', '| --- | --- | --- | --- | --- |');
    for (const { target, key } of revoked) lines.push(row([target, code(key.name), code(key.id), when(key.createdAt), when(key.lastUsed)]));
  }
  const kept = results.flatMap((result) => result.keptKeys.map((key) => ({ target: result.target, key })));
  if (kept.length > 0) {
    lines.push('', '### Superseded keys kept for now (grace period or revoke-previous: false)', '');
    lines.push('| Target | Key | Key id | Created | Expires |', '| --- | --- | --- | --- | --- |');
    for (const { target, key } of kept) lines.push(row([target, code(key.name), code(key.id), when(key.createdAt), when(key.expiresAt)]));
  }
  const notes = results.filter((result) => result.error || result.note);
  if (notes.length > 0) {
    lines.push('', '### Details', '');
    for (const result of notes) lines.push(`- **${escape(result.target)}**: ${escape(result.error ?? result.note ?? '')}`);
  }
  return `${lines.join('\n')}\n`;
}

function when(date: Date | undefined): string {
  return date ? date.toISOString() : '—';
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

function escape(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function row(cells: string[]): string {
  return `| ${cells.map(escape).join(' | ')} |`;
}
