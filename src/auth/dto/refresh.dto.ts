import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class RefreshDto {
  @ApiProperty({ description: 'The refresh token of the last TokenPair' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  refresh_token!: string;
}
