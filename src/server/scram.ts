/**
 * SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL runs it, server side,
 * without channel binding:
 *
 *   server  AuthenticationSASL ["SCRAM-SHA-256"]
 *   client  SASLInitialResponse  "n,,n=<user>,r=<client nonce>"
 *   server  AuthenticationSASLContinue  "r=<client nonce><server nonce>,s=<salt>,i=<iterations>"
 *   client  SASLResponse  "c=biws,r=<nonce>,p=<proof>"
 *   server  AuthenticationSASLFinal  "v=<server signature>", then AuthenticationOk
 *
 * The proof is ClientKey XOR HMAC(StoredKey, AuthMessage), with
 * SaltedPassword = PBKDF2-SHA-256(password, salt, i), ClientKey =
 * HMAC(SaltedPassword, "Client Key"), StoredKey = SHA-256(ClientKey) and
 * AuthMessage = client-first-bare "," server-first "," client-final-without-proof.
 * The user name inside the SCRAM messages is ignored, as PostgreSQL does:
 * the startup packet's user is the one authenticated.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { ProtocolError } from './errors.ts';
import { Reader } from './reader.ts';

export const SCRAM_MECHANISM = 'SCRAM-SHA-256';
const ITERATIONS = 4096;

const hmac = (key: Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();
const sha256 = (data: Buffer): Buffer => createHash('sha256').update(data).digest();

/** One authentication exchange. */
export class ScramExchange {
  private readonly salt = randomBytes(16);
  private readonly serverNonce = randomBytes(18).toString('base64');
  private clientFirstBare = '';
  private serverFirst = '';
  private gs2Header = '';
  private nonce = '';

  constructor(private readonly password: string) {}

  /** SASLInitialResponse → the AuthenticationSASLContinue payload. */
  start(body: Buffer): string {
    const r = new Reader(body);
    const mechanism = r.cstring();
    if (mechanism !== SCRAM_MECHANISM) throw new ProtocolError(`client selected an invalid SASL authentication mechanism`);
    const len = r.int32();
    const message = r.bytes(len).toString('utf8');
    const m = /^(n|y|p=[^,]*),([^,]*),(n=[^,]*,r=([^,]+)(?:,.*)?)$/.exec(message);
    if (!m) throw new ProtocolError('malformed SCRAM message');
    if (m[1]!.startsWith('p=')) throw new ProtocolError('SCRAM channel binding is not supported');
    if (m[2] !== '') throw new ProtocolError('client uses authorization identity, but it is not supported');
    this.gs2Header = message.slice(0, message.length - m[3]!.length);
    this.clientFirstBare = m[3]!;
    this.nonce = m[4]! + this.serverNonce;
    this.serverFirst = `r=${this.nonce},s=${this.salt.toString('base64')},i=${ITERATIONS}`;
    return this.serverFirst;
  }

  /** SASLResponse → the AuthenticationSASLFinal payload, or null if the proof is wrong. */
  finish(body: Buffer): string | null {
    const message = body.toString('utf8');
    const m = /^c=([^,]*),r=([^,]*)(?:,.*)?,p=([^,]+)$/.exec(message);
    if (!m) throw new ProtocolError('malformed SCRAM message');
    if (Buffer.from(m[1]!, 'base64').toString('utf8') !== this.gs2Header) throw new ProtocolError('unexpected SCRAM channel-binding attribute in client-final-message');
    if (m[2] !== this.nonce) throw new ProtocolError('SCRAM nonce mismatch');
    const withoutProof = message.slice(0, message.lastIndexOf(',p='));
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const salted = pbkdf2Sync(this.password.normalize('NFKC'), this.salt, ITERATIONS, 32, 'sha256');
    const storedKey = sha256(hmac(salted, 'Client Key'));
    const signature = hmac(storedKey, authMessage);
    const proof = Buffer.from(m[3]!, 'base64');
    if (proof.length !== signature.length) return null;
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ signature[i]!;
    if (!timingSafeEqual(sha256(clientKey), storedKey)) return null;
    return `v=${hmac(hmac(salted, 'Server Key'), authMessage).toString('base64')}`;
  }
}

/**
 * The --password-file format: one `user:password` per line; a line without
 * a colon, or with user `*`, is the password of every user not named.
 * Blank lines and lines starting with # are skipped.
 */
export function parsePasswordFile(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    if (raw.trim() === '' || raw.startsWith('#')) continue;
    const colon = raw.indexOf(':');
    if (colon < 0) out.set('*', raw);
    else out.set(raw.slice(0, colon), raw.slice(colon + 1));
  }
  return out;
}

export const passwordFor = (passwords: ReadonlyMap<string, string>, user: string): string | undefined =>
  passwords.get(user) ?? passwords.get('*');
