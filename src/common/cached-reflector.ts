import { Injectable } from '@nestjs/common';
import { Reflector, type ReflectableDecorator } from '@nestjs/core';

/**
 * Nest's Reflector, remembering what it has read. Decorators write their metadata when a class is defined, so
 * what a handler or class carries never changes while the app serves; the global guards read several keys on
 * every request, and reflect-metadata walks prototype chains to answer each.
 */
type Target = Parameters<Reflector['get']>[1];
const ABSENT = Symbol('absent');
// One cache for every instance: the metadata belongs to the classes, not to who reads it.
const cache = new WeakMap<Target, Map<unknown, unknown>>();

@Injectable()
export class CachedReflector extends Reflector {
  override get<T extends ReflectableDecorator<unknown>>(
    decorator: T,
    target: Target,
  ): T extends ReflectableDecorator<unknown, infer R> ? R : unknown;
  override get<TResult = unknown, TKey = unknown>(metadataKey: TKey, target: Target): TResult;
  override get(metadataKey: unknown, target: Target): unknown {
    let values = cache.get(target);
    if (!values) {
      cache.set(target, (values = new Map()));
    }
    const cached = values.get(metadataKey);
    if (cached !== undefined) {
      return cached === ABSENT ? undefined : cached;
    }
    const value: unknown = super.get(metadataKey, target);
    values.set(metadataKey, value === undefined ? ABSENT : value);
    return value;
  }
}
