import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The form of POST /auth/token, for the OpenAPI document; the endpoint parses it as RFC 6749 says. */
export class TokenRequestDto {
  @ApiProperty({ enum: ['password', 'refresh_token'] }) grant_type!: string;
  @ApiPropertyOptional({ description: 'grant_type=password: username or email' }) username?: string;
  @ApiPropertyOptional({ description: 'grant_type=password' }) password?: string;
  @ApiPropertyOptional({
    description:
      'grant_type=password, for an account with a second factor: a current code or a recovery code',
  })
  otp?: string;
  @ApiPropertyOptional({ description: 'grant_type=refresh_token' }) refresh_token?: string;
  @ApiPropertyOptional({ description: 'Accepted and ignored: this service has public clients only' })
  client_id?: string;
  @ApiPropertyOptional({ description: 'Accepted and ignored' }) scope?: string;
}
