// The GitHub client against the emulator: it hands over GitHub's token-expiration header from every answer, which
// the run reads as the github-token's expiry (src/footing.ts), in both of the forms GitHub writes it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gitHubTokenExpiry } from '../../src/footing.ts';
import { createOctokit } from '../../src/github/client.ts';
import { GitHubSecretStore } from '../../src/github/secrets.ts';
import { DEFAULT_RETRY } from '../../src/retry.ts';
import { repositorySlot } from '../../src/slots.ts';
import { startGitHubEmulator, type GitHubEmulator, type TokenGrant } from '../sandbox/github-emulator.ts';

const slot = repositorySlot('acme', 'web', 'KUBIYA_API_KEY');
let github: GitHubEmulator;

beforeEach(async () => {
  github = await startGitHubEmulator();
  github.addRepo('acme/web');
});
afterEach(() => github.close());

/** What the client handed over while it read acme/web's public key with a token of that grant. */
async function answersTo(grant: TokenGrant, token = 'github_pat_expiry_contract_0001') {
  github.addToken(token, grant);
  const seen: (string | undefined)[] = [];
  const octokit = createOctokit({
    token,
    baseUrl: github.url,
    timeoutMs: 2_000,
    retry: { ...DEFAULT_RETRY, baseMs: 20 },
    userAgent: 'contract-test',
    warn: () => {},
    onAnswer: (header) => seen.push(header),
  });
  await new GitHubSecretStore(octokit).prepare(slot);
  return seen;
}

describe("the github-token's expiry header", () => {
  it('is handed over from an answer, written in UTC', async () => {
    const expiresAt = new Date('2099-03-01T12:00:00Z');
    const seen = await answersTo({ kind: 'pat', expiresAt });
    expect(seen).toEqual(['2099-03-01 12:00:00 UTC']);
    expect(gitHubTokenExpiry({ answered: true, header: seen[0] }).expiresAt).toEqual(expiresAt);
  });

  it('is handed over from an answer, written with an offset', async () => {
    const expiresAt = new Date('2099-03-01T12:00:00Z');
    const seen = await answersTo({ kind: 'pat', expiresAt, expiryZone: '+0100' });
    expect(seen).toEqual(['2099-03-01 13:00:00 +0100']);
    expect(gitHubTokenExpiry({ answered: true, header: seen[0] }).expiresAt).toEqual(expiresAt);
  });

  it('is absent for an App installation token: the answer is handed over without one', async () => {
    const seen = await answersTo({ kind: 'app' }, 'ghs_installation_contract_0001');
    expect(seen).toEqual([undefined]);
    expect(gitHubTokenExpiry({ answered: true, header: seen[0] }).expiresAt).toBeUndefined();
  });
});
