// SecretStore for repository Actions secrets over GitHub's REST API. Permission errors name the fix.
import type { PublicKey, SealedSecret, SecretStore } from '../secret-store.ts';
import { ServiceError } from '../service-error.ts';
import type { Slot } from '../slots.ts';
import type { Octokit } from './client.ts';

export class RepositorySecretStore implements SecretStore {
  private readonly octokit: Octokit;

  constructor(octokit: Octokit) {
    this.octokit = octokit;
  }

  async publicKey(slot: Slot): Promise<PublicKey> {
    try {
      const { data } = await this.octokit.rest.actions.getRepoPublicKey({ owner: slot.owner, repo: slot.repo });
      return { keyId: data.key_id, key: data.key };
    } catch (error) {
      throw gitHubFailure(error, slot, `reading the public key of ${slot.target}`);
    }
  }

  async put(slot: Slot, sealed: SealedSecret): Promise<'created' | 'updated'> {
    try {
      const { status } = await this.octokit.rest.actions.createOrUpdateRepoSecret({
        owner: slot.owner,
        repo: slot.repo,
        secret_name: slot.secretName,
        encrypted_value: sealed.encryptedValue,
        key_id: sealed.keyId,
      });
      return status === 201 ? 'created' : 'updated';
    } catch (error) {
      throw gitHubFailure(error, slot, `writing secret ${slot.secretName} of ${slot.target}`);
    }
  }
}

function gitHubFailure(error: unknown, slot: Slot, action: string): ServiceError {
  const response = (error as { response?: { status: number; data?: { message?: unknown } } }).response;
  if (!response) {
    // No response after the retries (a network error or a timeout): a write may or may not have happened.
    const reason = error instanceof Error ? error.message : String(error);
    return new ServiceError(`GitHub did not answer ${action} (${reason})`, { noResponse: true });
  }
  const status = response.status;
  const detail = response.data?.message;
  const reason = typeof detail === 'string' ? `HTTP ${status}: ${detail}` : `HTTP ${status}`;
  if (status === 401 || status === 403 || status === 404) {
    return new ServiceError(
      `GitHub refused ${action} (${reason}): github-token cannot write the secrets of ${slot.target}. ` +
        'The default GITHUB_TOKEN cannot write secrets; use a fine-grained personal access token with the repository ' +
        'permission "Secrets: Read and write" on this repository, or a GitHub App token with that permission.',
      { status },
    );
  }
  return new ServiceError(`GitHub failed ${action} (${reason})`, { status });
}
