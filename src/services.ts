// The two services a mode talks to, configured from its inputs and the runner: Kubiya's client (always), and the
// GitHub secret store — Octokit, its plugins and libsodium, loaded only by the modes that write or read secrets.
import type { GitHubSecretStore } from './github/secrets.ts';
import type { GitHubInputs, KubiyaInputs } from './inputs.ts';
import { kubiyaClient, type KubiyaClient } from './kubiya/client.ts';
import { requestSettings } from './retry.ts';
import type { Runner } from './runner.ts';

/** Slots in flight at once (each with its own requests), in every multi-slot mode. */
export const SLOTS_IN_FLIGHT = 8;

/** Kubiya's client for admin-api-key; each minted key is masked the moment it is parsed. */
export function kubiyaFor(config: KubiyaInputs, runner: Pick<Runner, 'env' | 'mask'>): KubiyaClient {
  return kubiyaClient(config, requestSettings(runner.env), runner.mask);
}

/** `onAnswer`: told of each answer's token-expiration header (RunFooting.gitHubAnswered). */
export async function gitHubStoreFor(
  config: GitHubInputs,
  runner: Pick<Runner, 'env' | 'log'>,
  onAnswer?: (tokenExpiration: string | undefined) => void,
): Promise<GitHubSecretStore> {
  const [{ createOctokit }, { GitHubSecretStore }] = await Promise.all([import('./github/client.ts'), import('./github/secrets.ts')]);
  const octokit = createOctokit({
    token: config.githubToken,
    baseUrl: config.githubApiUrl,
    ...requestSettings(runner.env),
    warn: (message) => runner.log.warning(message),
    onAnswer,
  });
  return new GitHubSecretStore(octokit);
}
