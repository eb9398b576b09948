// The services a mode talks to, configured from its inputs and the runner: Kubiya's client (always), and the store
// where keys are kept, chosen by the `store` input — GitHub secrets (Octokit, its plugins and libsodium) or GitLab
// CI/CD variables — each loaded only by the modes that write or read it.
import type { GitLabTokenSeen } from './gitlab/tokens.ts';
import type { GitLabInputs, KeyInputs, StoreInputs } from './inputs.ts';
import { storeToken } from './inputs.ts';
import { KubiyaClient } from './kubiya/client.ts';
import { requestSettings } from './retry.ts';
import type { Runner } from './runner.ts';
import type { SecretReader, SecretStore } from './secret-store.ts';

/** Kubiya's client for admin-api-key; each minted key is masked the moment it is parsed. */
export function kubiyaFor(config: Pick<KeyInputs, 'adminApiKey' | 'kubiyaApiUrl'>, runner: Pick<Runner, 'env' | 'mask'>): KubiyaClient {
  return new KubiyaClient({
    baseUrl: config.kubiyaApiUrl,
    adminKey: config.adminApiKey,
    onSecret: runner.mask,
    ...requestSettings(runner.env),
  });
}

/** How messages name each store. */
export const STORE_NAMES: Record<StoreInputs['store'], string> = { github: 'GitHub', gitlab: 'GitLab' };

/**
 * The store the `store` input names, or undefined when its token was not given (its checks are then skipped).
 * `onGitHubAnswer`: told of each GitHub answer's token-expiration header (RunFooting.gitHubAnswered).
 */
export async function secretStoreFor(
  config: StoreInputs & KeyInputs,
  runner: Pick<Runner, 'env' | 'log'>,
  onGitHubAnswer: (tokenExpiration: string | undefined) => void,
): Promise<(SecretStore<unknown> & SecretReader) | undefined> {
  if (!storeToken(config)) return undefined;
  if (config.store === 'github' || !config.gitlab) {
    const [{ createOctokit }, { GitHubSecretStore }] = await Promise.all([import('./github/client.ts'), import('./github/secrets.ts')]);
    const octokit = createOctokit({
      token: config.githubToken,
      baseUrl: config.githubApiUrl,
      ...requestSettings(runner.env),
      warn: (message) => runner.log.warning(message),
      onAnswer: onGitHubAnswer,
    });
    return new GitHubSecretStore(octokit);
  }
  const { gitLabVariableStore } = await import('./gitlab/variables.ts');
  const http = { apiUrl: config.gitlab.apiUrl, token: config.gitlab.token, ...requestSettings(runner.env) };
  const { run } = config;
  return gitLabVariableStore(http, {
    protectedOnCreate: config.gitlab.protectedOnCreate,
    hiddenOnCreate: config.gitlab.hiddenOnCreate,
    description: `Kubiya API key, rotated by kubiya-api-key in ${run.url ?? `run ${run.runId}`} (attempt ${run.runAttempt})`.slice(0, 255),
  });
}

/**
 * The GitLab token's answer about itself (its expiry, for the run's footing), when the run has one: started at once,
 * so that it overlaps the run's opening round trip instead of adding one.
 */
export function gitLabTokenFor(config: { gitlab?: GitLabInputs }, runner: Pick<Runner, 'env'>): Promise<GitLabTokenSeen> | undefined {
  const gitlab = config.gitlab;
  if (!gitlab?.token) return undefined;
  const http = { apiUrl: gitlab.apiUrl, token: gitlab.token, ...requestSettings(runner.env) };
  return import('./gitlab/variables.ts').then(({ readTokenSelf }) => readTokenSelf(http));
}
