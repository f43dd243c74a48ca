import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { isoBase64URL, isoCBOR } from '@simplewebauthn/server/helpers';

/** What a test may change in one ceremony, to make the browser or the authenticator lie. */
export interface CeremonyOverrides {
  origin?: string;
  rpId?: string;
  challenge?: string;
  type?: string;
  userPresent?: boolean;
  userVerified?: boolean;
  counter?: number;
  /** Signs other bytes than those sent. */
  badSignature?: boolean;
  /** A registration's transports, as the browser would report them. */
  transports?: unknown;
  /** A registration's attestation in place of fmt none. */
  attestation?: { fmt: string; attStmt: Map<string, Uint8Array[] | number | string> };
  /** A sign-in's user handle; null leaves it out. */
  userHandle?: string | null;
}

// Flags of authenticator data (WebAuthn §6.1): user present, user verified, backup eligible and state, attested data.
const UP = 0x01;
const UV = 0x04;
const BE = 0x08;
const BS = 0x10;
const AT = 0x40;

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();

/**
 * A software passkey (ES256, attestation "none") answering the service's options as a browser and a platform
 * authenticator would, in the JSON of @simplewebauthn/browser: what the e2e tests sign in with where no browser is
 * needed. Its signature counter goes up by one a ceremony, as most security keys keep it, unless `counterless`.
 */
export class SoftAuthenticator {
  readonly credentialId: Buffer;
  private readonly keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  counter = 0;
  /** The user handle the last registration was for. */
  userHandle?: string;

  constructor(
    private readonly defaults: {
      origin: string;
      rpId?: string;
      /** Keeps no signature counter (always 0), as synced passkeys do. */
      counterless?: boolean;
      credentialIdBytes?: number;
    } = { origin: 'http://localhost:3000' },
  ) {
    this.credentialId = randomBytes(defaults.credentialIdBytes ?? 16);
  }

  get id(): string {
    return isoBase64URL.fromBuffer(new Uint8Array(this.credentialId));
  }

  /** navigator.credentials.create() for `options` (PublicKeyCredentialCreationOptionsJSON). */
  register(
    options: { challenge: string; rp: { id?: string }; user: { id: string } },
    overrides: CeremonyOverrides = {},
  ) {
    this.userHandle = options.user.id;
    const clientDataJSON = this.clientData('webauthn.create', options.challenge, overrides);
    const jwk = this.keys.publicKey.export({ format: 'jwk' });
    const cosePublicKey = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, isoBase64URL.toBuffer(jwk.x ?? '')],
        [-3, isoBase64URL.toBuffer(jwk.y ?? '')],
      ]),
    );
    const length = Buffer.alloc(2);
    length.writeUInt16BE(this.credentialId.length);
    const attested = Buffer.concat([Buffer.alloc(16), length, this.credentialId, Buffer.from(cosePublicKey)]);
    const authData = Buffer.concat([this.authData(options.rp.id, overrides, AT), attested]);
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Map<string, Uint8Array[] | number | string> | Uint8Array>([
        ['fmt', overrides.attestation?.fmt ?? 'none'],
        ['attStmt', overrides.attestation?.attStmt ?? new Map<string, Uint8Array[] | number | string>()],
        ['authData', new Uint8Array(authData)],
      ]),
    );
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: {
        clientDataJSON: isoBase64URL.fromBuffer(new Uint8Array(clientDataJSON)),
        attestationObject: isoBase64URL.fromBuffer(attestationObject),
        transports: 'transports' in overrides ? overrides.transports : ['internal', 'hybrid'],
      },
      authenticatorAttachment: 'platform',
      clientExtensionResults: { credProps: { rk: true } },
    };
  }

  /** navigator.credentials.get() for `options` (PublicKeyCredentialRequestOptionsJSON). */
  authenticate(options: { challenge: string; rpId?: string }, overrides: CeremonyOverrides = {}) {
    const clientDataJSON = this.clientData('webauthn.get', options.challenge, overrides);
    const authData = this.authData(options.rpId, overrides, 0);
    const signed = Buffer.concat([authData, sha256(clientDataJSON)]);
    const signature = sign(
      'sha256',
      overrides.badSignature ? Buffer.concat([signed, Buffer.from([0])]) : signed,
      this.keys.privateKey,
    );
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: {
        clientDataJSON: isoBase64URL.fromBuffer(new Uint8Array(clientDataJSON)),
        authenticatorData: isoBase64URL.fromBuffer(new Uint8Array(authData)),
        signature: isoBase64URL.fromBuffer(new Uint8Array(signature)),
        ...(overrides.userHandle !== null && { userHandle: overrides.userHandle ?? this.userHandle }),
      },
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
    };
  }

  private clientData(type: string, challenge: string, overrides: CeremonyOverrides): Buffer {
    return Buffer.from(
      JSON.stringify({
        type: overrides.type ?? type,
        challenge: overrides.challenge ?? challenge,
        origin: overrides.origin ?? this.defaults.origin,
        crossOrigin: false,
      }),
    );
  }

  private authData(rpId: string | undefined, overrides: CeremonyOverrides, extraFlags: number): Buffer {
    const flags =
      ((overrides.userPresent ?? true) ? UP : 0) |
      ((overrides.userVerified ?? true) ? UV : 0) |
      BE |
      BS |
      extraFlags;
    this.counter = overrides.counter ?? (this.defaults.counterless ? 0 : this.counter + 1);
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(this.counter);
    const rpIdHash = sha256(overrides.rpId ?? rpId ?? this.defaults.rpId ?? 'localhost');
    return Buffer.concat([rpIdHash, Buffer.from([flags]), counter]);
  }
}
