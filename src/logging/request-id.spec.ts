import { requestIdOf } from './request-id';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('requestIdOf', () => {
  it.each([
    ['a UUID', '3f1c2a9e-0b7d-4c55-9a51-0e8f6a7b9c10'],
    ['a trace-like id', 'trace.2026-12-01_abc'],
    ['one character', 'x'],
    ['128 characters', 'a'.repeat(128)],
  ])('keeps %s', (_what, header) => {
    expect(requestIdOf(header)).toBe(header);
  });

  it.each([
    ['no header', undefined],
    ['an empty one', ''],
    ['129 characters', 'a'.repeat(129)],
    ['a space', 'two words'],
    ['a line break', 'id\nforged log line'],
    ['a slash', 'a/b'],
    ['a quote', 'a"b'],
    ['non-ASCII', 'idé'],
    ['the header twice', ['one', 'two']],
  ])('makes a new UUID for %s', (_what, header) => {
    expect(requestIdOf(header)).toMatch(UUID);
  });

  it('makes a different id each time', () => {
    expect(requestIdOf(undefined)).not.toBe(requestIdOf(undefined));
  });
});
