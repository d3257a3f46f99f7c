import { addDuration, parseDuration } from './duration';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['90s', 90_000],
    ['15m', 900_000],
    ['12h', 43_200_000],
    ['7d', 604_800_000],
    ['2w', 1_209_600_000],
    ['0s', 0],
  ])('When given "%s", then it is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '7', 'd', '7 days', '1.5h', '-3d', '3y', '7D', 'P7D', '99999999999999999999w'])(
    'When given "%s", then it is undefined',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );
});

describe('addDuration', () => {
  it.each([
    ['2025-03-01T10:00:00.000Z', '30d', '2025-03-31T10:00:00.000Z'],
    ['2025-03-01T10:00:00.000Z', '7d', '2025-03-08T10:00:00.000Z'],
    ['2025-03-01T23:59:59.500Z', '500ms', '2025-03-02T00:00:00.000Z'],
    ['2025-03-01T10:00:00+02:00', '1h', '2025-03-01T09:00:00.000Z'],
  ])('When adding to %s the duration %s, then it is %s', (iso, duration, expected) => {
    expect(addDuration(iso, duration)).toBe(expected);
  });

  it.each([
    ['2025-03-01T10:00:00.000Z', 'soon'],
    ['not a date', '7d'],
  ])('When adding to %s the duration %s, then it throws', (iso, duration) => {
    expect(() => addDuration(iso, duration)).toThrow(Error);
  });
});
