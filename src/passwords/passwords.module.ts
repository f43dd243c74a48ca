import { Module } from '@nestjs/common';
import { PasswordHasher } from './password-hasher';
import { PasswordPolicy } from './password-policy';
import { PwnedPasswords } from './pwned-passwords';

@Module({
  providers: [PasswordHasher, PasswordPolicy, PwnedPasswords],
  exports: [PasswordHasher, PasswordPolicy],
})
export class PasswordsModule {}
