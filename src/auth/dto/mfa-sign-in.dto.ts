import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { IsOmittable } from '../../common/validation';

const CODE_DESCRIPTION = "The authenticator app's current 6 digits, or an unused recovery code";

export class MfaSignInDto {
  @ApiProperty({ description: 'From the 403 of /auth/login or /auth/token' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  mfa_token!: string;

  @ApiProperty({ description: CODE_DESCRIPTION, example: '123456' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  code!: string;
}

export class ReauthenticateDto {
  @ApiProperty()
  @IsString()
  @MaxLength(1024)
  password!: string;

  @ApiPropertyOptional({ description: `${CODE_DESCRIPTION}; required for amr ["pwd", "otp"]` })
  @IsOmittable()
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  code?: string;
}
