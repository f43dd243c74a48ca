import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { IsEmailAddress } from '../../common/validation';

export class VerifyEmailDto {
  @ApiProperty({ description: 'The token of the link in the message (its URL fragment, after #token=)' })
  @IsString()
  @MaxLength(256)
  token!: string;
}

export class ResendVerificationDto {
  @ApiProperty({ example: 'john.doe@example.com', maxLength: 254 })
  @IsEmailAddress()
  email!: string;
}
