import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/duration.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('parseDuration', () => {
  it.each([
    ['90m', 90 * MIN],
    ['12h', 12 * HOUR],
    ['7d', 7 * DAY],
    ['2w', 14 * DAY],
    ['1d12h', 36 * HOUR],
    ['1w2d3h4m5s', 9 * DAY + 3 * HOUR + 4 * MIN + 5000],
    ['PT90M', 90 * MIN],
    ['P7D', 7 * DAY],
    ['p1dt12h', 36 * HOUR],
    ['P2W', 14 * DAY],
    ['0', 0],
  ])('reads %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '7', 'd', '12x', '1h1d', 'P', 'PT', 'P1Y', 'P1M', '-5m', '1.5h', 'P1DT', '7 d'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it('writes the largest units first', () => {
    expect(formatDuration(36 * HOUR)).toBe('1d12h');
    expect(formatDuration(30 * DAY)).toBe('30d');
    expect(formatDuration(5 * MIN)).toBe('5m');
    expect(formatDuration(0)).toBe('0');
  });
});
