import { applyDecorators, Header } from '@nestjs/common';

/**
 * `Cache-Control: no-store` (RFC 9111 §5.2.2.5) on a route, or on every route of a controller: for responses that
 * hold a user's data, sessions or anything an admin sees, which no browser or shared cache may keep. Errors raised
 * once the route's guards have passed carry it too.
 */
export function NoStore(): ClassDecorator & MethodDecorator {
  const header = Header('Cache-Control', 'no-store');
  return (target: object, key?: string | symbol, descriptor?: PropertyDescriptor): void => {
    if (key !== undefined && descriptor) {
      header(target, key, descriptor);
      return;
    }
    const prototype = (target as { prototype: object }).prototype;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const method = Object.getOwnPropertyDescriptor(prototype, name);
      if (name !== 'constructor' && typeof method?.value === 'function') {
        header(prototype, name, method);
      }
    }
  };
}

/** RFC 6749 §5.1: a response holding tokens is not cached, by HTTP/1.0 caches either. */
export const NoStoreTokens = () => applyDecorators(NoStore(), Header('Pragma', 'no-cache'));
