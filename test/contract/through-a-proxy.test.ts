// Both clients send their requests through the runner's proxy (HTTP_PROXY / HTTPS_PROXY, NO_PROXY honoured), as
// self-hosted runners behind one need: a CONNECT proxy on 127.0.0.1 that reaches the emulators under names that
// do not resolve (only the proxy knows them), so a request that skipped the proxy could not arrive at all.
import { lostCreateReconciler } from '../../src/key-lifecycle.ts';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOctokit } from '../../src/github/client.ts';
import { GitHubSecretStore } from '../../src/github/secrets.ts';
import { KubiyaClient } from '../../src/kubiya/client.ts';
import { DEFAULT_RETRY } from '../../src/retry.ts';
import { repositorySlot } from '../../src/slots.ts';
import { startGitHubEmulator, type GitHubEmulator } from '../sandbox/github-emulator.ts';
import { startKubiyaEmulator, type KubiyaEmulator } from '../sandbox/kubiya-emulator.ts';
import { failure } from './service-failure.ts';

const TOKEN = 'github_pat_proxy_test_token_000000001';
let kubiya: KubiyaEmulator;
let github: GitHubEmulator;
let proxy: http.Server;
let tunnelled: string[];
const saved = { ...process.env };

/** A CONNECT proxy that knows `kubiya.test` and `github.test` as the emulators' ports on 127.0.0.1. */
async function startProxy(routes: Record<string, number>): Promise<string> {
  proxy = http.createServer((_req, res) => res.writeHead(405).end());
  proxy.on('connect', (req: http.IncomingMessage, client: net.Socket) => {
    const host = (req.url ?? '').split(':')[0]!;
    tunnelled.push(host);
    const port = routes[host];
    if (port === undefined) {
      client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
      return;
    }
    const upstream = net.connect(port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
}

beforeEach(async () => {
  tunnelled = [];
  [kubiya, github] = await Promise.all([startKubiyaEmulator(), startGitHubEmulator()]);
  github.addRepo('acme/web');
  github.addToken(TOKEN, { kind: 'pat' });
  const proxyUrl = await startProxy({
    'kubiya.test': Number(new URL(kubiya.url).port),
    'github.test': Number(new URL(github.url).port),
  });
  process.env['HTTP_PROXY'] = proxyUrl;
  process.env['http_proxy'] = proxyUrl;
  delete process.env['NO_PROXY'];
  delete process.env['no_proxy'];
});

afterEach(async () => {
  process.env = { ...saved };
  proxy.closeAllConnections();
  await Promise.all([new Promise((resolve) => proxy.close(resolve)), kubiya.close(), github.close()]);
});

const settings = { timeoutMs: 5_000, retry: { ...DEFAULT_RETRY, baseMs: 10 }, userAgent: 'proxy-test' };

describe('behind the runner proxy', () => {
  it("Kubiya's requests go through it", async () => {
    const adminKey = kubiya.addUser({ email: 'ci@acme.test', org: 'acme' }).apiKey;
    const client = new KubiyaClient({
      baseUrl: `http://kubiya.test:${new URL(kubiya.url).port}`,
      adminKey,
      onSecret: () => {},
      ...settings,
    });
    await client.authenticate();
    expect((await client.listKeys()).length).toBeGreaterThan(0);
    expect(tunnelled).toContain('kubiya.test');
  });

  it("GitHub's requests go through it: a sealed secret is written", async () => {
    const octokit = createOctokit({ token: TOKEN, baseUrl: `http://github.test:${new URL(github.url).port}`, warn: () => {}, ...settings });
    const store = new GitHubSecretStore(octokit);
    const slot = repositorySlot('acme', 'web', 'KUBIYA_API_KEY');
    await store.put(slot, 'through-the-proxy', await store.prepare(slot), { sendBy: Infinity, clock: () => 0 });
    expect(github.secretValue({ repo: 'acme/web' }, 'KUBIYA_API_KEY')).toBe('through-the-proxy');
    expect(tunnelled).toContain('github.test');
  });

  it('says nothing was sent when the proxy refuses the CONNECT, and creates nothing', async () => {
    const adminKey = kubiya.addUser({ email: 'ci@acme.test', org: 'acme' }).apiKey;
    const client = new KubiyaClient({ baseUrl: 'http://unknown.test:1', adminKey, onSecret: () => {}, ...settings });
    const error = await failure(
      client.createKey(
        {
          name: 'gha:acme/web:KUBIYA_API_KEY:run-1-1',
          description: 'd',
          mintId: 'c0ffee00',
          expiresAt: new Date(Date.now() + 3_600_000),
        },
        lostCreateReconciler(client, 'gha:acme/web:KUBIYA_API_KEY:run-1-1', 'c0ffee00'),
      ),
    );
    expect(error.notSent).toBe(true);
    expect(error.message).toMatch(
      /^Could not reach Kubiya at http:\/\/unknown\.test:1 .*tunneling socket could not be established.*nothing was sent/,
    );
    expect(error.message).not.toMatch(/may have created/);
    expect(tunnelled.filter((host) => host === 'unknown.test')).toHaveLength(4);
  });

  it('is skipped for hosts NO_PROXY names', async () => {
    process.env['NO_PROXY'] = 'github.test';
    const octokit = createOctokit({ token: TOKEN, baseUrl: `http://github.test:${new URL(github.url).port}`, warn: () => {}, ...settings });
    const store = new GitHubSecretStore(octokit);
    const error = await store.prepare(repositorySlot('acme', 'web', 'KUBIYA_API_KEY')).catch((caught: unknown) => caught);
    expect(error, 'github.test resolves nowhere without the proxy').toBeInstanceOf(Error);
    expect(tunnelled).not.toContain('github.test');
  });
});
