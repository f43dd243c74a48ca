import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class MfaStatusDto {
  @ApiProperty({ description: 'Whether an authenticator app is confirmed as the second factor' })
  totp!: boolean;
  @ApiProperty({ example: 10 }) recoveryCodesLeft!: number;
}

export class TotpEnrolmentDto {
  @ApiProperty({ description: 'Base32, 20 random bytes; pending for 10 minutes until confirmed' })
  secret!: string;
  @ApiProperty({ example: 'otpauth://totp/Nest%20Auth:john.doe?secret=…&issuer=Nest%20Auth&algorithm=SHA1' })
  otpauthUri!: string;
}

export class CodeDto {
  @ApiProperty({ description: "The authenticator app's current 6 digits", example: '123456' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  code!: string;
}

export class RecoveryCodesDto {
  @ApiProperty({
    description: 'Ten codes of 80 random bits, each good for one sign-in; shown this once',
    example: ['k7qm-3xda-p2vn-w4ht'],
  })
  recoveryCodes!: string[];
}
