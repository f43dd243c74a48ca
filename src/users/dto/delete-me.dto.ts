import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

export class DeleteMeDto {
  @ApiProperty({ description: "The account's password, re-entered" })
  @IsString()
  @MaxLength(1024)
  password!: string;
}
