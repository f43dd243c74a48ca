import { Global, Module } from '@nestjs/common';
import { AuthCache } from './auth-cache';

@Global()
@Module({
  providers: [AuthCache],
  exports: [AuthCache],
})
export class AuthCacheModule {}
