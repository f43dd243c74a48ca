import { ApiProperty } from '@nestjs/swagger';

/** The shape of every error (docs/API.md), as Nest makes it. */
export class ErrorDto {
  @ApiProperty({ example: 400 }) statusCode!: number;
  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: ['username must be 3 to 32 characters of ASCII letters, digits, ".", "_" or "-"'],
  })
  message!: string | string[];
  @ApiProperty({ example: 'Bad Request' }) error!: string;
}

/** RFC 6749 §5.2, as /auth/token answers its errors. */
export class OAuthErrorDto {
  @ApiProperty({ enum: ['invalid_request', 'invalid_grant', 'unsupported_grant_type'] }) error!: string;
  @ApiProperty({ example: 'Invalid username or password' }) error_description!: string;
}
