import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { IsPlainText } from '../../common/validation';

export class LoginDto {
  @ApiProperty({ example: 'john.doe', description: 'The username or the email' })
  @IsPlainText(254)
  username!: string;

  @ApiProperty({ example: 'correct horse battery staple' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  password!: string;
}
