import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayNotEmpty, IsArray, IsBoolean, IsIn } from 'class-validator';
import { IsOmittable } from '../../common/validation';
import { ROLES, type Role } from '../../users/user';
import { RegisterDto } from '../../users/dto/register.dto';

export class CreateUserDto extends RegisterDto {
  @ApiPropertyOptional({ enum: ROLES, isArray: true, default: ['user'] })
  @IsOmittable()
  @IsArray()
  @ArrayNotEmpty()
  @IsIn(ROLES, { each: true })
  roles?: Role[];

  @ApiPropertyOptional({ default: false, description: 'false: a verification link goes to the address' })
  @IsOmittable()
  @IsBoolean()
  emailVerified?: boolean;
}
