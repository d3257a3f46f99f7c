import { countdown, span, textOf, valueOf } from './format';

describe('console formats', () => {
  const now = Date.parse('2026-12-08T12:00:00.000Z');
  const at = (ms: number) => new Date(now + ms).toISOString();

  it.each([
    [0, 'in 0s'],
    [4_999, 'in 4s'],
    [65_000, 'in 1m 5s'],
    [3_600_000, 'in 1h 0m'],
    [2 * 86_400_000 + 5 * 60_000, 'in 2d 0h'],
    [7 * 86_400_000 - 1_000, 'in 6d 23h'],
    [-5_000, 'overdue by 5s'],
    [-(3 * 3_600_000 + 61_000), 'overdue by 3h 1m'],
  ])('When the deadline is %d ms away, then the countdown reads %s', (ms, text) => {
    expect(countdown(at(ms), now)).toBe(text);
  });

  it('When a field holds markup, a number, nothing or an object, then it is written as plain text', () => {
    expect(textOf('<img src=x onerror=alert(2)>')).toBe('<img src=x onerror=alert(2)>');
    expect(textOf(12)).toBe('12');
    expect(textOf(false)).toBe('false');
    expect(textOf(undefined)).toBe('');
    expect(textOf(null)).toBe('');
    expect(textOf({ a: '<b>' })).toBe('{"a":"<b>"}');
  });

  it('When a required field is typed, then digits are sent as a number and anything else as the text', () => {
    expect(valueOf('1200')).toBe(1200);
    expect(valueOf(' -3.5 ')).toBe(-3.5);
    expect(valueOf('12 units')).toBe('12 units');
    expect(valueOf('')).toBe('');
  });
});

describe('span', () => {
  it.each([
    [0, '0s'],
    [999, '0s'],
    [61_000, '1m 1s'],
    [90 * 60_000, '1h 30m'],
    [3 * 86_400_000 + 7_200_000 + 5_000, '3d 2h'],
  ])('%d ms is %s', (ms, text) => expect(span(ms)).toBe(text));
});
