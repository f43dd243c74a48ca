import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { IsEmailAddress, IsOmittable, IsPlainText } from '../../common/validation';

export class UpdateMeDto {
  @ApiPropertyOptional({ example: 'john@example.com', description: 'Requires currentPassword' })
  @IsOmittable()
  @IsEmailAddress()
  email?: string;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'John Doe', description: 'null clears it' })
  @IsOptional()
  @IsPlainText(100)
  fullName?: string | null;

  @ApiPropertyOptional({ description: 'The current password; required to change the email' })
  @IsOmittable()
  @IsString()
  @MaxLength(1024)
  currentPassword?: string;
}
