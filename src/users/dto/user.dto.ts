import { ApiProperty } from '@nestjs/swagger';
import { PageMeta } from '../../common/pagination';
import { ROLES, type Role } from '../user';
import type { User } from '../user';

export class UserDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'john.doe' }) username!: string;
  @ApiProperty({ example: 'john.doe@example.com' }) email!: string;
  @ApiProperty({ type: String, nullable: true, example: 'John Doe' }) fullName!: string | null;
  @ApiProperty({ enum: ROLES, isArray: true, example: ['user'] }) roles!: Role[];
  @ApiProperty() disabled!: boolean;
  @ApiProperty({
    description: 'Whether the owner of the account has proved this address (its link was used)',
  })
  emailVerified!: boolean;
  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: 'An address asked for in place of email, until the link sent to it is used',
  })
  pendingEmail!: string | null;
  @ApiProperty({ description: 'Whether a second factor (an authenticator app) guards sign-in' })
  mfaEnabled!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class UserPageDto extends PageMeta {
  @ApiProperty({ type: [UserDto] }) items!: UserDto[];
}

// Timestamps go out as ISO strings made here: a Date takes JSON.stringify off its fast path (toJSON), which made
// serialising a user three times slower.
export const toUserDto = ({
  id,
  username,
  email,
  fullName,
  roles,
  disabled,
  emailVerified,
  pendingEmail,
  mfaEnabled,
  createdAt,
  updatedAt,
}: User): UserDto => ({
  id,
  username,
  email,
  fullName,
  roles,
  disabled,
  emailVerified,
  pendingEmail,
  mfaEnabled,
  createdAt: createdAt.toISOString(),
  updatedAt: updatedAt.toISOString(),
});
