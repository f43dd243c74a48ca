import { ApiProperty } from '@nestjs/swagger';

/** RFC 6749 §5.1 field names. */
export class TokenPairDto {
  @ApiProperty({ description: 'A JWT (RFC 9068) for the Authorization: Bearer header' })
  access_token!: string;
  @ApiProperty({ example: 'Bearer' }) token_type!: 'Bearer';
  @ApiProperty({ example: 900, description: 'Seconds until the access token expires' }) expires_in!: number;
  @ApiProperty({ description: 'Opaque; rotates on every use' }) refresh_token!: string;
  @ApiProperty({ example: 604800, description: 'Seconds until the refresh token expires unless used' })
  refresh_expires_in!: number;
}
