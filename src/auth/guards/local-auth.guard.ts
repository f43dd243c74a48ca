import { BadRequestException, ExecutionContext, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { boundedMessages, fieldCountProblem, inheritedNameProblems } from '../../common/validation';
import { LoginDto } from '../dto/login.dto';

/**
 * Guards run before pipes, so the login body is validated here: a malformed body is a 400, not a 401 or 500
 * from inside Passport (nestjs/passport#129).
 */
@Injectable()
export class LocalAuthGuard extends AuthGuard('local') {
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const { body } = context.switchToHttp().getRequest<{ body: unknown }>();
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new BadRequestException('The body must be a JSON object with username and password');
    }
    const tooMany = fieldCountProblem(body, 'body');
    if (tooMany) throw new BadRequestException(tooMany);
    const errors = await validate(plainToInstance(LoginDto, body), {
      whitelist: true,
      forbidNonWhitelisted: true,
    });
    const problems = [
      ...inheritedNameProblems(body),
      ...errors.flatMap((error) => Object.values(error.constraints ?? {})),
    ];
    if (problems.length > 0) throw new BadRequestException(boundedMessages(problems));
    return (await super.canActivate(context)) as boolean;
  }
}
