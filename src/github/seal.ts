// libsodium sealed box, as GitHub's "Encrypting secrets for the REST API" guide prescribes. libsodium is loaded
// on the first seal (its WebAssembly start-up is most of what it costs), not when the action starts.
import type { PublicKey } from '../secret-store.ts';

export async function sealSecret(value: string, publicKey: PublicKey): Promise<{ keyId: string; encryptedValue: string }> {
  const { default: sodium } = await import('libsodium-wrappers');
  await sodium.ready;
  const key = sodium.from_base64(publicKey.key, sodium.base64_variants.ORIGINAL);
  const sealed = sodium.crypto_box_seal(sodium.from_string(value), key);
  return { keyId: publicKey.keyId, encryptedValue: sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL) };
}
