import { parseDurationSeconds } from './duration';

describe('parseDurationSeconds', () => {
  it.each([
    ['900', 900],
    ['900s', 900],
    ['15m', 900],
    ['12h', 43_200],
    ['7d', 604_800],
    ['0', 0],
    [' 15m ', 900],
    ['999999999', 999_999_999],
  ])('reads %j as %d seconds', (value, seconds) => {
    expect(parseDurationSeconds(value)).toBe(seconds);
  });

  it.each(['', 'soon', '15 m', '-5', '+5', '1.5h', '15M', '1w', 'm', '15mm', '1e3', '1000000000', '0x10'])(
    'refuses %j',
    (value) => {
      expect(parseDurationSeconds(value)).toBeUndefined();
    },
  );
});
