import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { IsPassword } from '../../common/validation';

export class ChangePasswordDto {
  @ApiProperty()
  @IsString()
  @MaxLength(1024)
  currentPassword!: string;

  @ApiProperty({ minLength: 8, description: 'At most 72 bytes of UTF-8' })
  @IsPassword()
  newPassword!: string;
}
