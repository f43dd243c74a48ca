import { createSecretKey, randomBytes } from 'node:crypto';
import { RefreshTokens } from './refresh-tokens';

const BASE64URL_256_BITS = /^[A-Za-z0-9_-]{43}$/;

describe('RefreshTokens', () => {
  const tokens = new RefreshTokens(createSecretKey(Buffer.alloc(32, 1)));

  describe('generate', () => {
    it('gives 256 random bits as 43 characters of base64url', () => {
      const token = RefreshTokens.generate();
      expect(token).toMatch(BASE64URL_256_BITS);
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    });

    it('never gives the same token twice', () => {
      const generated = new Set(Array.from({ length: 1000 }, () => RefreshTokens.generate()));
      expect(generated.size).toBe(1000);
    });
  });

  describe('successorOf', () => {
    const token = RefreshTokens.generate();

    it('gives the same successor to the same token', () => {
      expect(tokens.successorOf(token)).toBe(tokens.successorOf(token));
    });

    it('gives the same successor under an equal key', () => {
      const sameKey = new RefreshTokens(createSecretKey(Buffer.alloc(32, 1)));
      expect(sameKey.successorOf(token)).toBe(tokens.successorOf(token));
    });

    it('gives another successor under another key', () => {
      const otherKey = new RefreshTokens(createSecretKey(randomBytes(32)));
      expect(otherKey.successorOf(token)).not.toBe(tokens.successorOf(token));
    });

    it('gives other tokens other successors', () => {
      expect(tokens.successorOf(token)).not.toBe(tokens.successorOf(RefreshTokens.generate()));
    });

    it('gives a well-formed token that is neither the token nor its hash', () => {
      const successor = tokens.successorOf(token);
      expect(successor).toMatch(BASE64URL_256_BITS);
      expect(RefreshTokens.isWellFormed(successor)).toBe(true);
      expect([token, RefreshTokens.hash(token)]).not.toContain(successor);
    });
  });

  describe('hash', () => {
    it('is the SHA-256 of the token, not the token', () => {
      const token = RefreshTokens.generate();
      expect(RefreshTokens.hash(token)).toMatch(BASE64URL_256_BITS);
      expect(RefreshTokens.hash(token)).not.toBe(token);
      expect(RefreshTokens.hash(token)).toBe(RefreshTokens.hash(token));
    });

    it('hashes a known value as SHA-256 in base64url', () => {
      expect(RefreshTokens.hash('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
    });
  });

  describe('isWellFormed', () => {
    it('accepts a generated token', () => {
      expect(RefreshTokens.isWellFormed(RefreshTokens.generate())).toBe(true);
    });

    it.each([
      ['empty', ''],
      ['42 characters', 'a'.repeat(42)],
      ['44 characters', 'a'.repeat(44)],
      ['base64 padding', `${'a'.repeat(42)}=`],
      ['a "+" of plain base64', `${'a'.repeat(42)}+`],
      ['a "/" of plain base64', `${'a'.repeat(42)}/`],
      ['a trailing newline', `${'a'.repeat(43)}\n`],
      ['a JWT', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl'],
    ])('refuses a token that is %s', (_case, token) => {
      expect(RefreshTokens.isWellFormed(token)).toBe(false);
    });
  });
});
