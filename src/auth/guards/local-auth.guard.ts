import { BadRequestException, ExecutionContext, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { StrictValidationPipe } from '../../common/validation';
import { LoginDto } from '../dto/login.dto';

const validation = new StrictValidationPipe();

/**
 * Guards run before pipes, so the login body is validated here, by the global pipe's own rules: a malformed body is
 * a 400, not a 401 or 500 from inside Passport (nestjs/passport#129).
 */
@Injectable()
export class LocalAuthGuard extends AuthGuard('local') {
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const { body } = context.switchToHttp().getRequest<{ body: unknown }>();
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new BadRequestException('The body must be a JSON object with username and password');
    }
    await validation.transform(body, { type: 'body', metatype: LoginDto });
    return (await super.canActivate(context)) as boolean;
  }
}
