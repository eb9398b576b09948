// Kubiya API keys are JWTs; the emulator mints look-alikes signed with its own secret.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface KubiyaTokenClaims {
  organization: string;
  email: string;
  token_id: string;
  token_name: string;
  /** Seconds since the epoch; absent from keys issued as 'jwt-without-exp'. */
  exp?: number;
  iat: number;
}

/**
 * How a key is written: a signed JWT (`jwt`, as Kubiya issues them), a JWT whose payload has no `exp`
 * (its expiry is only in the key list, found by `token_id`), or an opaque string that is not a JWT at all
 * (its expiry cannot be read from it).
 */
export type KubiyaKeyForm = 'jwt' | 'jwt-without-exp' | 'opaque';

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

export class KubiyaTokenSigner {
  readonly #secret = randomBytes(32);

  /** A new key of that form for those claims. */
  issue(claims: KubiyaTokenClaims, form: KubiyaKeyForm): string {
    if (form === 'opaque') return `kby_${randomBytes(30).toString('base64url')}`;
    if (form === 'jwt') return this.sign(claims);
    const { exp: _exp, ...withoutExp } = claims;
    return this.sign(withoutExp);
  }

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
