import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiSignedIn } from '../common/decorators/api-signed-in.decorator';
import { CurrentUser } from '../common/decorators/current-user.decorator';
import { NoStore } from '../common/decorators/no-store.decorator';
import type { AuthUser } from '../users/user';
import { AccountExportService } from './account-export.service';
import { AccountExportDto, toAccountExportDto } from './dto/account-export.dto';

@ApiTags('me')
@ApiSignedIn()
@NoStore()
@Controller('users/me/export')
export class AccountExportController {
  constructor(private readonly exports: AccountExportService) {}

  @Get()
  @ApiOperation({
    summary:
      'Everything the service holds about you, as one JSON document: profile, sessions, second factor, passkeys, audit events (no secret, hash or token)',
  })
  @ApiOkResponse({ type: AccountExportDto })
  async export(@CurrentUser() me: AuthUser): Promise<AccountExportDto> {
    return toAccountExportDto(await this.exports.exportOf(me.id), me.sessionId);
  }
}
