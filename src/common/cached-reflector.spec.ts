import { SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { CachedReflector } from './cached-reflector';

const Tagged = Reflector.createDecorator<string[]>();

@SetMetadata('scope', 'class')
class Controller {
  @Tagged(['handler'])
  @SetMetadata('scope', 'handler')
  tagged(): void {}

  plain(): void {}
}

describe('CachedReflector', () => {
  const handler = Controller.prototype.tagged;
  const plain = Controller.prototype.plain;

  it.each([
    ['a key on a handler', 'scope', handler],
    ['a key on a class', 'scope', Controller],
    ['a missing key', 'missing', handler],
    ['a decorator', Tagged, handler],
    ['a decorator absent from a handler', Tagged, plain],
  ])('answers %s as Reflector does', (_case, key, target) => {
    expect(new CachedReflector().get(key, target)).toEqual(new Reflector().get(key, target));
  });

  it('answers getAllAndOverride as Reflector does, handler first', () => {
    const reflector = new CachedReflector();
    expect(reflector.getAllAndOverride('scope', [handler, Controller])).toBe('handler');
    expect(reflector.getAllAndOverride('scope', [plain, Controller])).toBe('class');
    expect(reflector.getAllAndOverride(Tagged, [handler, Controller])).toEqual(['handler']);
  });

  it('reads the metadata of a target once, undefined included, for every instance', () => {
    class Fresh {
      @SetMetadata('scope', 'fresh')
      handler(): void {}
    }
    const read = jest.spyOn(Reflect, 'getMetadata');
    try {
      for (const reflector of [new CachedReflector(), new CachedReflector()]) {
        for (let i = 0; i < 3; i++) {
          expect(reflector.get('scope', Fresh.prototype.handler)).toBe('fresh');
          expect(reflector.get('missing', Fresh.prototype.handler)).toBeUndefined();
        }
      }
      expect(read).toHaveBeenCalledTimes(2);
    } finally {
      read.mockRestore();
    }
  });
});
