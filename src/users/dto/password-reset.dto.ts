import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { IsEmailAddress, IsPassword } from '../../common/validation';

export class ForgotPasswordDto {
  @ApiProperty({ example: 'john.doe@example.com', maxLength: 254 })
  @IsEmailAddress()
  email!: string;
}

export class ResetPasswordDto {
  @ApiProperty({ description: 'The token of the link in the message (its URL fragment, after #token=)' })
  @IsString()
  @MaxLength(256)
  token!: string;

  @ApiProperty({
    minLength: 8,
    description: 'The new password: the rules of registration; at most 72 bytes of UTF-8',
  })
  @IsPassword()
  password!: string;
}
