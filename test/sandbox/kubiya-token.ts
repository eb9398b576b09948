// Kubiya API keys are JWTs; the emulator mints look-alikes signed with its own secret.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface KubiyaTokenClaims {
  organization: string;
  email: string;
  token_id: string;
  token_name: string;
  /** Seconds since the epoch. */
  exp: number;
  iat: number;
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

export class KubiyaTokenSigner {
  readonly #secret = randomBytes(32);

  sign(claims: KubiyaTokenClaims): string {
    const unsigned = `${base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${base64url(JSON.stringify(claims))}`;
    return `${unsigned}.${this.#signature(unsigned)}`;
  }

  /** True when the token carries this signer's signature (existence/expiry are checked elsewhere). */
  verify(token: string): boolean {
    const parts = token.split('.');
    if (parts.length !== 3) return false;
    const expected = Buffer.from(this.#signature(`${parts[0]}.${parts[1]}`));
    const actual = Buffer.from(parts[2] ?? '');
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }

  #signature(unsigned: string): string {
    return createHmac('sha256', this.#secret).update(unsigned).digest('base64url');
  }
}

/** Decodes the payload without checking the signature; undefined when it is not JWT-shaped. */
export function decodeKubiyaToken(token: string): KubiyaTokenClaims | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as KubiyaTokenClaims;
  } catch {
    return undefined;
  }
}
