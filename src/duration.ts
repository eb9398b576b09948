// Durations as users write them in workflow files: compact (`90m`, `1d12h`, `2w`) or ISO-8601 (`PT90M`, `P7D`).

const UNIT_MS = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 } as const;

const COMPACT = /^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;
// Years and months have no fixed length, so ISO forms are limited to weeks, days and time parts.
const ISO = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

export const DURATION_FORMS = '`90m`, `12h`, `7d`, `2w`, combinations like `1d12h`, or ISO-8601 such as `PT90M` or `P7D`';

/** Milliseconds for a duration, or undefined when the text is not a duration. `0` is zero. */
export function parseDuration(text: string): number | undefined {
  const value = text.trim();
  if (value === '0') return 0;
  const match = COMPACT.exec(value) ?? (/^P/i.test(value) && !/T$/i.test(value) ? ISO.exec(value.toUpperCase()) : null);
  if (!match || match.slice(1).every((part) => part === undefined)) return undefined;
  const units = Object.values(UNIT_MS); // in the order of the groups: weeks, days, hours, minutes, seconds
  return match.slice(1).reduce((total, part, index) => total + Number(part ?? 0) * units[index]!, 0);
}

/** A short human form for logs and the summary: `30d`, `1d12h`, `90m`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  let rest = ms;
  let text = '';
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const count = Math.floor(rest / UNIT_MS[unit]);
    if (count > 0) text += `${count}${unit}`;
    rest -= count * UNIT_MS[unit];
  }
  return text || `${ms}ms`;
}
