import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { PageQuery } from '../../common/pagination';
import { IsPlainText } from '../../common/validation';

export class ListUsersQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Part of a username, email or full name, any case', maxLength: 100 })
  @IsOptional()
  @IsPlainText(100, 0)
  q?: string;
}
