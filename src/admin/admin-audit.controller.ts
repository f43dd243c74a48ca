import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditEventPageDto, toAuditEventDto } from '../audit/dto/audit-event.dto';
import { AuditQuery } from '../audit/dto/audit-query';
import { AuditService } from '../audit/audit.service';
import { ErrorDto } from '../common/error.dto';
import { NoStore } from '../common/decorators/no-store.decorator';
import { AdminOnly } from './api-admin.decorator';

@ApiTags('admin')
@AdminOnly()
@NoStore()
@Controller('admin/audit')
export class AdminAuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({ summary: 'Security events, newest first' })
  @ApiOkResponse({ type: AuditEventPageDto })
  @ApiBadRequestResponse({ description: 'Bad paging, a malformed userId or an unknown type', type: ErrorDto })
  async list(@Query() query: AuditQuery): Promise<AuditEventPageDto> {
    const page = await this.audit.search(query);
    return { ...page, items: page.items.map(toAuditEventDto) };
  }
}
