import {
  BadRequestException,
  ConflictException,
  Injectable,
  Logger,
  NotFoundException,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { decodeAttestationObject, isoBase64URL } from '@simplewebauthn/server/helpers';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import type { Config } from '../config/config';
import type { PasskeyChange } from '../mail/templates/passkey-changed';
import { mailMessages } from '../metrics/metrics';
import { AccountTokens } from '../secrets/account-tokens';
import type { ClientInfo, SignInProof } from '../sessions/session';
import type { AuthUser, User } from '../users/user';
import { UsersService } from '../users/users.service';
import { type Ceremony, type Notice, type Passkey, PasskeysRepository } from './passkeys.repository';

export const MAX_PASSKEYS = 10;
export const PASSKEY_REFUSED = 'The passkey was not accepted';
const CEREMONY_SECONDS = 5 * 60;
const FULL = `An account holds at most ${MAX_PASSKEYS} passkeys: remove one first`;
const KNOWN = 'This passkey is registered already';
const REGISTRATION_REFUSED = `${PASSKEY_REFUSED}: the browser's answer did not verify (origin, RP ID, user verification, attestation or signature)`;

/** RFC 8176: proof of possession of a hardware-bound key, unlocked by its user (user verification). */
const PASSKEY_METHODS = ['hwk', 'user'] as const;

/** The WebAuthn user handle of a user, in base64url: the id's 16 bytes, no name or address. */
const userHandleOf = (userId: string) => Buffer.from(userId.replaceAll('-', ''), 'hex').toString('base64url');

/** EdDSA, ES256, RS256: named, so that a runtime with more algorithms does not change the options. */
const ALGORITHMS = [-8, -7, -257];

const TRANSPORTS = new Set(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb']);

/** The transports an authenticator named that WebAuthn knows, once each: the rest is the client's noise. */
const knownTransports = (transports: unknown): string[] =>
  Array.isArray(transports)
    ? [
        ...new Set(
          (transports as unknown[]).filter(
            (transport): transport is string => typeof transport === 'string' && TRANSPORTS.has(transport),
          ),
        ),
      ]
    : [];

/** A credential id as WebAuthn allows it: base64url of at most 1023 bytes. */
const isCredentialId = (id: unknown): id is string =>
  typeof id === 'string' && id.length > 0 && id.length <= 1364 && isoBase64URL.isBase64URL(id);

/**
 * Passkeys (WebAuthn, @simplewebauthn/server): registering, listing, renaming and removing them, and proving a
 * sign-in with one. Challenges live on the server as hashes, one ceremony each; every ceremony needs user
 * verification, so a passkey alone is a strong sign-in.
 */
@Injectable()
export class PasskeysService {
  private readonly logger = new Logger(PasskeysService.name);
  private readonly relyingParty: Config['webAuthn'];
  private readonly mail: Config['mail'];

  constructor(
    private readonly passkeys: PasskeysRepository,
    private readonly users: UsersService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    config: ConfigService<Config, true>,
  ) {
    this.relyingParty = config.get('webAuthn', { infer: true });
    this.mail = config.get('mail', { infer: true });
  }

  list(userId: string): Promise<Passkey[]> {
    return this.passkeys.list(userId);
  }

  /** Options for a new passkey of `me`: discoverable, user-verifying, none of theirs again; 409 when full. */
  async registrationOptions(me: AuthUser): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const [user, held] = await Promise.all([this.users.get(me.id), this.passkeys.credentialIdsOf(me.id)]);
    if (held.length >= MAX_PASSKEYS) {
      throw new ConflictException(FULL);
    }
    const options = await generateRegistrationOptions({
      rpName: this.relyingParty.rpName,
      rpID: this.relyingParty.rpId,
      userName: user.username,
      userID: isoBase64URL.toBuffer(userHandleOf(user.id)),
      userDisplayName: user.fullName ?? user.username,
      timeout: CEREMONY_SECONDS * 1000,
      attestationType: 'none',
      excludeCredentials: held.map(({ credentialId, transports }) => ({ id: credentialId, transports })),
      authenticatorSelection: {
        residentKey: 'required',
        requireResidentKey: true,
        userVerification: 'required',
      },
      supportedAlgorithmIDs: ALGORITHMS,
    });
    await this.storeChallenge(options.challenge, 'registration', { userId: me.id });
    return options;
  }

  /** Verifies a registration ceremony of `me` and stores its passkey; 400 for any refusal of the ceremony. */
  async register(
    me: AuthUser,
    response: Record<string, unknown>,
    name: string | undefined,
    client: ClientInfo,
  ): Promise<Passkey> {
    const now = this.clock.now();
    const challenge = await this.consumeChallengeOf(response, 'registration', now);
    if (!challenge || challenge.userId !== me.id) {
      throw new BadRequestException(
        `${PASSKEY_REFUSED}: its challenge is unknown, used, expired or another's`,
      );
    }
    if (!hasNoAttestation(response)) {
      throw new BadRequestException(REGISTRATION_REFUSED);
    }
    let verified;
    try {
      verified = await verifyRegistrationResponse({
        response: response as unknown as RegistrationResponseJSON,
        expectedChallenge: challenge.value,
        expectedOrigin: this.relyingParty.origins,
        expectedRPID: this.relyingParty.rpId,
        requireUserVerification: true,
        supportedAlgorithmIDs: ALGORITHMS,
      });
    } catch (error) {
      // The library's words name its internals; the client gets the checks, the debug log the reason.
      this.logger.debug(`A passkey registration was refused: ${String((error as Error)?.message ?? error)}`);
      verified = undefined;
    }
    // WebAuthn §7.1 step 25: at most 1023 bytes (and a longer one would not fit the unique index).
    if (!verified?.verified || isoBase64URL.toBuffer(verified.registrationInfo.credential.id).length > 1023) {
      throw new BadRequestException(REGISTRATION_REFUSED);
    }
    const { credential, credentialDeviceType, credentialBackedUp, aaguid } = verified.registrationInfo;
    const user = await this.users.get(me.id);
    const passkeyName = name ?? 'Passkey';
    const registration = await this.passkeys.add(
      {
        userId: me.id,
        credentialId: credential.id,
        publicKey: isoBase64URL.fromBuffer(credential.publicKey),
        counter: credential.counter,
        transports: knownTransports(credential.transports),
        deviceType: credentialDeviceType,
        backedUp: credentialBackedUp,
        aaguid,
        name: passkeyName,
      },
      MAX_PASSKEYS,
      now,
      this.notice(user, 'added', passkeyName),
    );
    if (registration.outcome !== 'added') {
      throw new ConflictException(registration.outcome === 'full' ? FULL : KNOWN);
    }
    this.countNotice();
    await this.audit.record({
      type: 'passkey.added',
      userId: me.id,
      actorId: me.id,
      client,
      details: { passkeyId: registration.passkey.id, name: passkeyName },
    });
    return registration.passkey;
  }

  async rename(userId: string, id: string, name: string): Promise<Passkey> {
    const renamed = await this.passkeys.rename(userId, id, name);
    if (!renamed) {
      throw new NotFoundException('No such passkey');
    }
    return renamed;
  }

  async remove(userId: string, id: string, client: ClientInfo): Promise<void> {
    const user = await this.users.get(userId);
    const removed = await this.passkeys.remove(userId, id, this.clock.now(), (passkey) =>
      this.notice(user, 'removed', passkey.name),
    );
    if (!removed) {
      throw new NotFoundException('No such passkey');
    }
    this.countNotice();
    await this.audit.record({
      type: 'passkey.removed',
      userId,
      actorId: userId,
      client,
      details: { passkeyId: id, name: removed.name },
    });
  }

  /**
   * Options for a sign-in: no credentials listed (every passkey here is discoverable). A `login` ties the
   * challenge to its account, if any, and the answer is the same either way.
   */
  async authenticationOptions(login?: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const options = await generateAuthenticationOptions({
      rpID: this.relyingParty.rpId,
      userVerification: 'required',
      timeout: CEREMONY_SECONDS * 1000,
    });
    await this.storeChallenge(options.challenge, 'authentication', { login });
    return options;
  }

  /**
   * Checks a sign-in ceremony: who, with methods hwk and user, or a refusal (`wrong`, as a password's, without
   * counting in the lockout: a forged assertion cannot be guessed). Its challenge is used up first, whatever follows.
   */
  async authenticate(response: Record<string, unknown>, client: ClientInfo): Promise<SignInProof> {
    const now = this.clock.now();
    const challenge = await this.consumeChallengeOf(response, 'authentication', now);
    const found = isCredentialId(response.id)
      ? await this.passkeys.findByCredentialId(response.id)
      : undefined;
    const refuse = (reason: string): SignInProof => {
      this.logger.debug(`A passkey sign-in was refused: ${reason}`);
      return { outcome: 'wrong', userId: found?.user.id, isPasskey: true };
    };
    if (!found) {
      return refuse('unknown credential');
    }
    const { credential, user } = found;
    if (!challenge || !(challenge.anyUser || challenge.userId === user.id)) {
      return refuse('challenge unknown, used, expired or for another user');
    }
    // WebAuthn §7.2 step 6: a user handle names the passkey's owner; usernameless, it must be there.
    const { userHandle } = (response.response ?? {}) as { userHandle?: unknown };
    const isHandleAbsent = userHandle === undefined || userHandle === null;
    if (isHandleAbsent ? challenge.anyUser : userHandle !== userHandleOf(user.id)) {
      return refuse("user handle missing, or not the passkey owner's");
    }
    let verified;
    try {
      verified = await verifyAuthenticationResponse({
        response: response as unknown as AuthenticationResponseJSON,
        expectedChallenge: challenge.value,
        expectedOrigin: this.relyingParty.origins,
        expectedRPID: this.relyingParty.rpId,
        // Zero turns the library's own counter check off: recordSignIn makes it, race-free, and it is audited.
        credential: {
          id: credential.credentialId,
          publicKey: isoBase64URL.toBuffer(credential.publicKey),
          counter: 0,
          transports: credential.transports,
        },
        requireUserVerification: true,
      });
    } catch (error) {
      return refuse(String((error as Error)?.message ?? error));
    }
    if (!verified.verified) {
      return refuse('not verified');
    }
    const { newCounter, credentialBackedUp } = verified.authenticationInfo;
    const recorded = await this.passkeys.recordSignIn(credential.id, newCounter, credentialBackedUp, now);
    if (recorded === 'removed') {
      return refuse('removed during the sign-in');
    }
    if (recorded === 'counter-regressed') {
      await this.audit.record({
        type: 'passkey.counter_regressed',
        userId: user.id,
        client,
        details: {
          passkeyId: credential.id,
          storedCounter: credential.counter,
          presentedCounter: newCounter,
        },
      });
      return refuse('signature counter did not go up');
    }
    return { outcome: 'proved', user, methods: [...PASSKEY_METHODS] };
  }

  private async storeChallenge(
    challenge: string,
    ceremony: Ceremony,
    owner: { userId?: string; login?: string },
  ): Promise<void> {
    const expiresAt = new Date(this.clock.now().getTime() + CEREMONY_SECONDS * 1000);
    await this.passkeys.createChallenge({
      challengeHash: AccountTokens.hash(challenge),
      ceremony,
      expiresAt,
      ...owner,
    });
  }

  /** The challenge a browser signed (clientDataJSON), used up if it is live; undefined when malformed or not. */
  private async consumeChallengeOf(
    response: Record<string, unknown>,
    ceremony: Ceremony,
    now: Date,
  ): Promise<{ value: string; anyUser: boolean; userId: string | null } | undefined> {
    const value = signedChallengeOf(response);
    if (value === undefined) {
      return undefined;
    }
    const consumed = await this.passkeys.consumeChallenge(AccountTokens.hash(value), ceremony, now);
    return consumed && { value, ...consumed };
  }

  private notice(user: User, change: PasskeyChange, passkey: string): Notice | undefined {
    return this.mail.isEnabled
      ? { recipient: user.email, fields: { username: user.username, change, passkey } }
      : undefined;
  }

  private countNotice(): void {
    if (this.mail.isEnabled) {
      mailMessages.inc({ template: 'passkey-changed', outcome: 'queued' });
    }
  }
}

/**
 * Whether a registration carries no attestation (fmt none, or packed self-attestation without certificates), as the
 * options ask. The service trusts no attestation; verifying one would make the library fetch the certificates'
 * revocation lists from URLs the client chose.
 */
function hasNoAttestation(response: Record<string, unknown>): boolean {
  const inner = response.response;
  const encoded =
    typeof inner === 'object' && inner !== null
      ? (inner as Record<string, unknown>).attestationObject
      : undefined;
  if (typeof encoded !== 'string' || !isoBase64URL.isBase64URL(encoded)) {
    return false;
  }
  try {
    const attestation = decodeAttestationObject(isoBase64URL.toBuffer(encoded));
    const format = attestation.get('fmt');
    return format === 'none' || (format === 'packed' && attestation.get('attStmt')?.get('x5c') === undefined);
  } catch {
    return false;
  }
}

/** `response.response.clientDataJSON`'s challenge, if the client sent one in the expected shape. */
function signedChallengeOf(response: Record<string, unknown>): string | undefined {
  const inner = response.response;
  const clientDataJSON =
    typeof inner === 'object' && inner !== null
      ? (inner as Record<string, unknown>).clientDataJSON
      : undefined;
  if (typeof clientDataJSON !== 'string' || !isoBase64URL.isBase64URL(clientDataJSON)) {
    return undefined;
  }
  try {
    const clientData: unknown = JSON.parse(isoBase64URL.toUTF8String(clientDataJSON));
    const challenge = (clientData as { challenge?: unknown } | null)?.challenge;
    return typeof challenge === 'string' && challenge.length <= 1024 ? challenge : undefined;
  } catch {
    return undefined;
  }
}
