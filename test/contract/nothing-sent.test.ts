// What the HTTP layer knows of a request's fate, for both clients: a request that never left the runner (refused
// connection, sealing failed) had no effect and is not an unknown outcome; one that may have reached the server
// unanswered is; and an exchange abandoned at its deadline is closed, even while its answer drips in.
import { lostCreateReconciler } from '../../src/key-lifecycle.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOctokit } from '../../src/github/client.ts';
import { GitHubSecretStore } from '../../src/github/secrets.ts';
import { httpExchange, type HttpTransport } from '../../src/http-exchange.ts';
import { KubiyaClient } from '../../src/kubiya/client.ts';
import { DEFAULT_RETRY } from '../../src/retry.ts';
import { repositorySlot } from '../../src/slots.ts';
import { startGitHubEmulator, type GitHubEmulator } from '../sandbox/github-emulator.ts';
import { refusedUrl, type HttpEmulator } from '../sandbox/http-emulator.ts';
import { startKubiyaEmulator, type KubiyaEmulator } from '../sandbox/kubiya-emulator.ts';
import { failure } from './service-failure.ts';

const TOKEN = 'github_pat_nothing_sent_test_token_01';
const NAME = 'gha:acme/web:KUBIYA_API_KEY:run-1-1';
const PUBLIC_KEY = '/repos/acme/web/actions/secrets/public-key';
const slot = repositorySlot('acme', 'web', 'KUBIYA_API_KEY');
const retry = { ...DEFAULT_RETRY, baseMs: 5 };
let github: GitHubEmulator;
let kubiya: KubiyaEmulator;
let adminKey: string;

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED', syscall: 'connect' });

/**
 * The emulator in-process, except the `method` requests, which follow `script`: 'refused' never reaches it, 'lost'
 * is handled and its answer lost (a reset).
 */
function scripted(emulator: HttpEmulator, method: string, script: ('refused' | 'lost')[]): HttpTransport {
  return async (m, url, headers, body) => {
    const request = {
      method: m,
      url,
      headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
      body: body ?? '',
    };
    const step = m === method ? script.shift() : undefined;
    if (step === 'refused') throw refused();
    const outcome = await emulator.dispatch(request, step === 'lost' ? { kind: 'lost-response' } : undefined);
    if (outcome.kind !== 'response') throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', syscall: 'read' });
    return { status: outcome.status, headers: outcome.headers, text: outcome.text };
  };
}

function store(options: { baseUrl?: string; transport?: HttpTransport } = {}): GitHubSecretStore {
  return new GitHubSecretStore(
    createOctokit({
      token: TOKEN,
      baseUrl: options.baseUrl ?? github.url,
      timeoutMs: 2_000,
      retry,
      userAgent: 'test',
      warn: () => {},
      transport: options.transport,
    }),
  );
}

function kubiyaClient(options: { baseUrl?: string; transport?: HttpTransport } = {}): KubiyaClient {
  return new KubiyaClient({
    baseUrl: options.baseUrl ?? kubiya.url,
    adminKey,
    onSecret: () => {},
    timeoutMs: 2_000,
    retry,
    userAgent: 'test',
    transport: options.transport,
  });
}

const create = (client: KubiyaClient) =>
  client.createKey(
    { name: NAME, description: 'test (mint c0ffee00)', mintId: 'c0ffee00', expiresAt: new Date(Date.now() + 3_600_000) },
    lostCreateReconciler(client, NAME, 'c0ffee00'),
  );

beforeEach(async () => {
  [github, kubiya] = await Promise.all([startGitHubEmulator(), startKubiyaEmulator()]);
  github.addRepo('acme/web');
  github.addToken(TOKEN, { kind: 'pat' });
  adminKey = kubiya.addUser({ email: 'ci@acme.test', org: 'acme' }).apiKey;
});
afterEach(() => Promise.all([github.close(), kubiya.close()]));

describe('GitHub: a public key no value can be sealed for', () => {
  const keyOf = (bytes: number) => Buffer.alloc(bytes, 7).toString('base64');

  it.each([
    ['31 bytes', keyOf(31), 'it decodes to 31 bytes'],
    ['33 bytes', keyOf(33), 'it decodes to 33 bytes'],
    ['not base64', 'not-a-base64-key!!', 'it is not base64'],
    ['non-canonical base64 of 32 bytes', `${keyOf(32).slice(0, 42)}B=`, 'it is not base64'],
  ])('fails the slot at its public key (%s), saying what to check', async (_what, key, found) => {
    github.injectFault({ method: 'GET', path: PUBLIC_KEY, kind: 'status', status: 200, body: { key_id: '0123', key } });
    const error = await failure(store().prepare(slot));
    expect(error.message).toContain(
      `The public key GitHub (or a proxy in between) returned for acme/web is not a 32-byte base64 key (${found})`,
    );
    expect(error.message).toMatch(/nothing was minted for it\. Check github-api-url, and any proxy/);
  });

  it('rolls back, not unknown, a write whose public key read again after a 422 is unusable', async () => {
    const s = store();
    const target = await s.prepare(slot);
    github.rotatePublicKey({ repo: 'acme/web' });
    github.injectFault({ method: 'GET', path: PUBLIC_KEY, kind: 'status', status: 200, body: { key_id: '0123', key: keyOf(31) } });
    const error = await failure(s.put(slot, 'never', target, { sendBy: Infinity, clock: () => 0 }));
    expect(error.outcomeUnknown).toBe(false);
    expect(error.message).toMatch(/not a 32-byte base64 key .*the new key was not written/);
    expect(github.matching('PUT').map((request) => request.status)).toEqual([422]);
  });

  it('is not an unknown write when the public key read again after a 422 gets no answer (a GET stores nothing)', async () => {
    const target = await store().prepare(slot);
    github.rotatePublicKey({ repo: 'acme/web' });
    // Every read of the public key after the 422 is handled and its answer lost (no timer races the machine's load).
    const s = store({ transport: scripted(github, 'GET', ['lost', 'lost', 'lost', 'lost', 'lost', 'lost']) });
    const error = await failure(s.put(slot, 'never', target, { sendBy: Infinity, clock: () => 0 }));
    expect(error.outcomeUnknown).toBe(false);
    expect(github.secretValue({ repo: 'acme/web' }, 'KUBIYA_API_KEY')).toBeUndefined();
  });
});

describe('GitHub: a write that never left the runner', () => {
  it('is not unknown when sealing fails on the runner: nothing is sent', async () => {
    const error = await failure(
      store().put(slot, 'never', { publicKey: { keyId: '0123', key: 'AAAA' } }, { sendBy: Infinity, clock: () => 0 }),
    );
    expect(error.outcomeUnknown).toBe(false);
    expect(error.notSent).toBe(true);
    expect(error.message).toMatch(/^Sealing secret KUBIYA_API_KEY of acme\/web failed on the runner \(.+\); nothing was sent to GitHub$/);
    expect(github.count('PUT')).toBe(0);
  });

  it('is not unknown when every attempt was refused before it was sent, and says so', async () => {
    const s = store({ transport: scripted(github, 'PUT', ['refused', 'refused', 'refused', 'refused']) });
    const error = await failure(s.put(slot, 'never', await s.prepare(slot), { sendBy: Infinity, clock: () => 0 }));
    expect(error.outcomeUnknown).toBe(false);
    expect(error.notSent).toBe(true);
    expect(error.message).toMatch(
      /^Could not reach GitHub for writing secret KUBIYA_API_KEY of acme\/web \(connect ECONNREFUSED .*\); nothing was sent/,
    );
    expect(github.count('PUT')).toBe(0);
  });

  it('is still unknown when a refused retry follows an attempt whose answer was lost', async () => {
    const s = store({ transport: scripted(github, 'PUT', ['lost', 'refused', 'refused', 'refused']) });
    const error = await failure(s.put(slot, 'stored-by-the-lost-attempt', await s.prepare(slot), { sendBy: Infinity, clock: () => 0 }));
    expect(error.outcomeUnknown).toBe(true);
    expect(error.message).toMatch(/an earlier attempt got no answer and may have been stored/);
    expect(github.secretValue({ repo: 'acme/web' }, 'KUBIYA_API_KEY')).toBe('stored-by-the-lost-attempt');
  });

  it('names the local failure when GitHub cannot be reached for the public key', async () => {
    const error = await failure(store({ baseUrl: await refusedUrl() }).prepare(slot));
    expect(error.message).toMatch(/^Could not reach GitHub for reading the public key of acme\/web \(.*ECONNREFUSED.*\); nothing was sent/);
  });
});

describe('Kubiya: a request that never left the runner', () => {
  it('creates nothing, reconciles nothing, and says nothing was sent when the connection is refused', async () => {
    const url = await refusedUrl();
    const error = await failure(create(kubiyaClient({ baseUrl: url })));
    expect(error.outcomeUnknown).toBe(false);
    expect(error.notSent).toBe(true);
    expect(error.message).toMatch(
      new RegExp(`^Could not reach Kubiya at ${url} for the creation of key ${NAME} \\(.*ECONNREFUSED.*\\); nothing was sent`),
    );
    expect(error.message).not.toMatch(/may have created/);
  });

  it('does not list keys to reconcile a create attempt that was refused before it was sent', async () => {
    const client = kubiyaClient({ transport: scripted(kubiya, 'POST', ['refused']) });
    const minted = await create(client);
    expect(minted.uncertain).toBe(false);
    expect(kubiya.count('GET', '/api/v1/auth/keys')).toBe(0);
    expect(kubiya.count('POST')).toBe(1);
  });

  it('still reconciles, as unknown, a create whose answer was lost before later attempts were refused', async () => {
    const client = kubiyaClient({ transport: scripted(kubiya, 'POST', ['lost', 'refused', 'refused', 'refused']) });
    const error = await failure(create(client));
    expect(error.message).toMatch(
      /Kubiya did not answer the creation of key .*any key the lost requests created under that name was revoked/,
    );
    const made = kubiya.keys().filter((key) => key.name === NAME);
    expect(made).toHaveLength(1);
    expect(kubiya.isValid(made[0]!.token), 'the key the lost attempt made was revoked').toBe(false);
  });

  it('says the admin key check could not reach Kubiya, not that Kubiya did not answer', async () => {
    const error = await failure(kubiyaClient({ baseUrl: await refusedUrl() }).authenticate());
    expect(error.message).toMatch(
      /^Could not reach Kubiya at .* for the check of admin-api-key \(.*\); nothing was sent\. Check kubiya-api-url/,
    );
  });
});

describe('an exchange abandoned at its deadline', () => {
  it('closes its connection while the answer still drips in', async () => {
    kubiya.injectFault({ method: 'GET', path: '/drip', kind: 'drip', dripEveryMs: 10 });
    const exchange = httpExchange({ userAgent: 'test', timeoutMs: 200, what: 'Kubiya', urlInput: 'kubiya-api-url' });
    const error = await exchange('GET', `${kubiya.url}/drip`, {}, null).catch((e: unknown) => e);
    expect((error as Error).message).toBe('timed out after 200 ms');
    await kubiya.waitForClientGone(kubiya.matching('GET', '/drip')[0]!);
  });
});
