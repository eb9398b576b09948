// SecretStore over GitHub's REST API for every kind of target: repository, environment, Dependabot and
// organization secrets. Permission errors name the permission that target kind needs.
import type { SecretReader, SecretState, SecretStore, WriteOptions, WriteTarget } from '../secret-store.ts';
import { failedAfterUnanswered, writeStopped } from '../secret-store.ts';
import { notSent } from '../http-exchange.ts';
import { ServiceError, errorMessage } from '../service-error.ts';
import type { GitHubSecretSlot, OrganizationSlot, OrgSecretVisibility } from '../slots.ts';
import { AttemptsStopped, answered, mayHaveLanded, rateLimitOf, reasonOf, statusOf, type Attempts, type Octokit } from './client.ts';
import { sealSecret } from './seal.ts';

const PERMISSION = {
  repository: 'the repository permission "Secrets: Read and write"',
  environment: 'the repository permissions "Secrets: Read and write" and "Environments: Read and write"',
  dependabot: 'the repository permission "Dependabot secrets: Read and write"',
  'organization/actions': 'the organization permission "Organization secrets: Read and write"',
  'organization/dependabot': 'the organization permission "Organization Dependabot secrets: Read and write"',
} as const;

export class GitHubSecretStore implements SecretStore, SecretReader {
  private readonly octokit: Octokit;

  constructor(octokit: Octokit) {
    this.octokit = octokit;
  }

  /** The slot's public key (checked to be one a value can be sealed for) and, for an organization, who may read it. */
  async prepare(slot: GitHubSecretSlot, consequence = 'nothing was minted for it'): Promise<WriteTarget> {
    try {
      if (slot.kind === 'organization') return await this.prepareOrganization(slot);
      const { route, params } = secretsRoute(slot);
      return { publicKey: publicKey(await this.octokit.request(`GET ${route}/secrets/public-key`, params), slot) };
    } catch (error) {
      if (error instanceof UnusablePublicKey) throw new ServiceError(`${error.message}; ${consequence}. ${error.fix}`);
      throw gitHubFailure(error, slot, `reading the public key of ${slot.target}`);
    }
  }

  async put(slot: GitHubSecretSlot, value: string, target: WriteTarget, options: WriteOptions): Promise<'created' | 'updated'> {
    const attempts: Attempts = { ...options, unanswered: 0 };
    const action = `writing secret ${slot.secretName} of ${slot.target}`;
    try {
      try {
        return await this.write(slot, value, target, attempts);
      } catch (error) {
        if (statusOf(error) !== 422) throw error;
        // GitHub answers 422 to a value sealed for a public key it has since replaced: read it again, write once more.
        const fresh = await this.prepare(slot, 'the new key was not written');
        if (fresh.publicKey.keyId === target.publicKey.keyId) throw error;
        return await this.write(slot, value, fresh, attempts);
      }
    } catch (error) {
      // Unknown only when an attempt of the write itself may have reached GitHub unanswered: a failure on the
      // runner (sealing, a host that does not resolve) or of the public key's re-read sent no value.
      const outcomeUnknown = attempts.unanswered > 0;
      if (error instanceof AttemptsStopped) throw writeStopped('GitHub', action, outcomeUnknown);
      const failure = gitHubFailure(error, slot, action);
      if (!outcomeUnknown) throw failure;
      // An unanswered last attempt is itself the one whose outcome is unknown: "GitHub did not answer" says so.
      const lastUnanswered = mayHaveLanded(error) && !(error instanceof ServiceError);
      throw lastUnanswered ? new ServiceError(failure.message, { status: failure.status, outcomeUnknown }) : failedAfterUnanswered(failure);
    }
  }

  private async write(slot: GitHubSecretSlot, value: string, target: WriteTarget, attempts: Attempts): Promise<'created' | 'updated'> {
    const sealed = await sealSecret(value, target.publicKey).catch((error: unknown) => {
      throw new ServiceError(
        `Sealing secret ${slot.secretName} of ${slot.target} failed on the runner (${errorMessage(error)}); nothing was sent to GitHub`,
        { notSent: true },
      );
    });
    const { route, params } = secretsRoute(slot);
    const { status } = await this.octokit.request(`PUT ${route}/secrets/{secret_name}`, {
      ...params,
      secret_name: slot.secretName,
      encrypted_value: sealed.encryptedValue,
      key_id: sealed.keyId,
      ...target.access,
      request: { attempts },
    });
    return status === 201 ? 'created' : 'updated';
  }

  /**
   * An organization secret's public key, and who may read it: an existing secret keeps its visibility and
   * selected repositories; a new one gets org-secret-visibility. All reads overlap in one round trip.
   */
  private async prepareOrganization(slot: OrganizationSlot): Promise<WriteTarget> {
    const { route, params } = secretsRoute(slot);
    const secret = { ...params, secret_name: slot.secretName };
    const [key, existing, selected, idsOnCreate] = await Promise.allSettled([
      this.octokit.request(`GET ${route}/secrets/public-key`, params),
      this.octokit.request(`GET ${route}/secrets/{secret_name}`, secret),
      this.octokit
        .paginate<{ id: number }>(`GET ${route}/secrets/{secret_name}/repositories`, { ...secret, per_page: 100 })
        .then((repositories) => repositories.map((repository) => repository.id)),
      Promise.all(slot.selectedOnCreate.map((repository) => this.repositoryId(repository))),
    ]);
    if (key.status === 'rejected') throw key.reason;
    if (existing.status === 'rejected' && statusOf(existing.reason) !== 404) throw existing.reason;
    // A 404 is a new secret: who may read it is the user's choice.
    const found = existing.status === 'fulfilled';
    const visibility = found ? (existing.value.data as { visibility: OrgSecretVisibility }).visibility : slot.visibilityOnCreate;
    if (visibility !== 'selected') return { publicKey: publicKey(key.value, slot), access: { visibility } };
    const ids = found ? selected : idsOnCreate;
    if (ids.status === 'rejected') throw ids.reason;
    const selected_repository_ids = slot.secretType === 'dependabot' ? ids.value.map(String) : ids.value;
    return { publicKey: publicKey(key.value, slot), access: { visibility, selected_repository_ids } };
  }

  async readSecret(slot: GitHubSecretSlot): Promise<SecretState> {
    const { route, params } = secretsRoute(slot);
    let response: { data: { updated_at?: string } };
    try {
      response = await this.octokit.request(`GET ${route}/secrets/{secret_name}`, { ...params, secret_name: slot.secretName });
    } catch (error) {
      if (statusOf(error) === 404) return { state: 'missing', what: await this.whatIsMissing(slot) };
      throw gitHubReadFailure(error, slot, `reading secret ${slot.secretName} of ${slot.target}`);
    }
    const updatedAt = new Date(response.data.updated_at ?? '');
    return { state: 'present', updatedAt: Number.isNaN(updatedAt.getTime()) ? undefined : updatedAt };
  }

  /**
   * After a 404 for the secret: which of organization, repository, environment or secret is missing. GitHub answers
   * 404 also for a private repository the token was not given, so that case is named with it.
   */
  private async whatIsMissing(slot: GitHubSecretSlot): Promise<string> {
    const { orgs, repos } = this.octokit.rest;
    const exists = async (read: () => Promise<unknown>): Promise<boolean> => {
      try {
        await read();
        return true;
      } catch (error) {
        if (statusOf(error) === 404) return false;
        throw gitHubReadFailure(error, slot, `checking why secret ${slot.secretName} of ${slot.target} was not found`);
      }
    };
    if (slot.kind === 'organization') {
      if (!(await exists(() => orgs.get({ org: slot.org })))) {
        return `organization ${slot.org} does not exist, or github-token cannot see it`;
      }
    } else if (!(await exists(() => repos.get({ owner: slot.owner, repo: slot.repo })))) {
      return `repository ${slot.owner}/${slot.repo} does not exist, or github-token cannot see it (a fine-grained token sees only the repositories it was given)`;
    } else if (slot.kind === 'environment') {
      const environment = { owner: slot.owner, repo: slot.repo, environment_name: slot.environment };
      if (!(await exists(() => repos.getEnvironment(environment)))) {
        return `environment '${slot.environment}' does not exist in ${slot.owner}/${slot.repo}`;
      }
    }
    const dependabot = slot.kind === 'dependabot' || (slot.kind === 'organization' && slot.secretType === 'dependabot');
    return `${dependabot ? 'Dependabot secret' : 'secret'} ${slot.secretName} does not exist in ${slot.target}`;
  }

  private async repositoryId(repository: string): Promise<number> {
    const [owner = '', repo = ''] = repository.split('/');
    try {
      return (await this.octokit.rest.repos.get({ owner, repo })).data.id;
    } catch (error) {
      throw new ServiceError(
        `GitHub could not resolve repository ${repository} for the organization secret's selected repositories ` +
          `(${reasonOf(error)}): check the name, and that github-token can read its metadata ("Metadata: Read").`,
        { status: statusOf(error) },
      );
    }
  }
}

function permissionFor(slot: GitHubSecretSlot): string {
  return PERMISSION[slot.kind === 'organization' ? (`organization/${slot.secretType}` as const) : slot.kind];
}

/** Where GitHub keeps the slot's secrets and their public key: a REST route prefix, and its parameters. */
function secretsRoute(slot: GitHubSecretSlot): { route: string; params: Record<string, string> } {
  if (slot.kind === 'organization') return { route: `/orgs/{org}/${slot.secretType}`, params: { org: slot.org } };
  const params = { owner: slot.owner, repo: slot.repo };
  if (slot.kind === 'environment') {
    return { route: '/repos/{owner}/{repo}/environments/{environment_name}', params: { ...params, environment_name: slot.environment } };
  }
  return { route: `/repos/{owner}/{repo}/${slot.kind === 'dependabot' ? 'dependabot' : 'actions'}`, params };
}

/** A public key GitHub (or a proxy) sent that no value can be sealed for. */
class UnusablePublicKey extends Error {
  readonly fix = 'Check github-api-url, and any proxy between the runner and GitHub (HTTPS_PROXY).';
}

/** The public key of a public-key answer: a key_id and a key that is base64 of exactly 32 bytes (a Curve25519 key). */
function publicKey(response: { data: { key_id: string; key: string } }, slot: GitHubSecretSlot) {
  const { key_id: keyId, key } = response.data;
  if (typeof keyId !== 'string' || typeof key !== 'string' || !keyId || !key) {
    throw new ServiceError('GitHub answered the public-key request without a key_id and key');
  }
  const bytes = Buffer.from(key, 'base64');
  // Canonical base64 only: Buffer skips characters it cannot read, libsodium refuses them.
  if (bytes.length !== 32 || bytes.toString('base64') !== key) {
    const found = bytes.toString('base64') === key ? `it decodes to ${bytes.length} bytes` : 'it is not base64';
    throw new UnusablePublicKey(
      `The public key GitHub (or a proxy in between) returned for ${slot.target} is not a 32-byte base64 key (${found}), so no ` +
        'value can be sealed for it',
    );
  }
  return { keyId, key };
}

/** A refused read (audit mode) names the read permission; anything else is described as for a write. */
function gitHubReadFailure(error: unknown, slot: GitHubSecretSlot, action: string): ServiceError {
  const status = statusOf(error);
  if (error instanceof ServiceError || (status !== 401 && status !== 403) || rateLimitOf(error)) return gitHubFailure(error, slot, action);
  return new ServiceError(
    `GitHub refused ${action} (${reasonOf(error)}): github-token cannot read the secrets of ${slot.target}. Audit reads only ` +
      `their metadata: use a fine-grained personal access token with ${permissionFor(slot).replace(/Read and write/g, 'Read-only')}, ` +
      'or a GitHub App token with that permission. The default GITHUB_TOKEN cannot read secrets.',
    { status },
  );
}

function gitHubFailure(error: unknown, slot: GitHubSecretSlot, action: string): ServiceError {
  if (error instanceof ServiceError) return error;
  if (!answered(error)) {
    if (notSent(error)) {
      return new ServiceError(
        `Could not reach GitHub for ${action} (${reasonOf(error)}); nothing was sent. Check github-api-url and the runner's ` +
          'network (DNS, firewall, HTTPS_PROXY)',
        { notSent: true },
      );
    }
    // No response after the retries (a network error or a timeout): a write may or may not have happened.
    return new ServiceError(`GitHub did not answer ${action} (${reasonOf(error)})`);
  }
  const status = statusOf(error);
  const limit = rateLimitOf(error);
  if (limit) {
    // The throttling plugin waited out what it could (up to 60 s); anything longer is for a later run.
    let wait = ' longer than 60 s';
    if (limit.reset) wait = ` until ${new Date(limit.reset * 1000).toISOString()}`;
    else if (limit.retryAfter) wait = ` for ${limit.retryAfter} s`;
    return new ServiceError(`GitHub rate-limited ${action} (${reasonOf(error)}): it asks to wait${wait}; run again later.`, { status });
  }
  if (status === 401 || status === 403 || status === 404) {
    const permission = permissionFor(slot);
    // A 404 is what GitHub answers for a name that does not exist and for one the token may not see alike.
    const cause =
      status === 404
        ? `${missingWhat(slot)} may not exist, or may not be visible to github-token: check the name, and that the token ` +
          'was given access to it (a fine-grained token not given the repository or organization gets 404 too)'
        : `github-token cannot write the secrets of ${slot.target}`;
    return new ServiceError(
      `GitHub refused ${action} (${reasonOf(error)}): ${cause}. ` +
        `The default GITHUB_TOKEN cannot write secrets; use a fine-grained personal access token with ${permission}, ` +
        'or a GitHub App token with that permission.',
      { status },
    );
  }
  return new ServiceError(`GitHub failed ${action} (${reasonOf(error)})`, { status });
}

/** What a 404 for the slot may mean is missing: its repository (or that repository's environment), or its organization. */
function missingWhat(slot: GitHubSecretSlot): string {
  if (slot.kind === 'organization') return `organization ${slot.org}`;
  const repository = `repository ${slot.owner}/${slot.repo}`;
  return slot.kind === 'environment' ? `${repository} or its environment '${slot.environment}'` : repository;
}
