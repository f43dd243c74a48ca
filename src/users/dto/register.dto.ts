import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { IsEmailAddress, IsPassword, IsPlainText, IsUsername } from '../../common/validation';

export class RegisterDto {
  @ApiProperty({ example: 'john.doe', pattern: '^[A-Za-z0-9._-]{3,32}$' })
  @IsUsername()
  username!: string;

  @ApiProperty({ example: 'john.doe@example.com', maxLength: 254 })
  @IsEmailAddress()
  email!: string;

  @ApiProperty({
    example: 'correct horse battery staple',
    minLength: 8,
    description: 'At most 72 bytes of UTF-8',
  })
  @IsPassword()
  password!: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'John Doe',
    maxLength: 100,
    description: 'null, like leaving it out, gives no name',
  })
  @IsOptional()
  @IsPlainText(100)
  fullName?: string | null;
}
