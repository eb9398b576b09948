// Answers no client should have to read — oversized, not JSON, HTML error pages, missing fields,
// redirects to another origin — from Kubiya and from GitHub. Each one fails the rotation clearly (exit 1,
// one readable line naming what failed), leaks nothing (the world's leak scan, which here also covers the
// other origin's request log), leaves no orphan key (every key minted is revoked) and leaves the secret
// holding its previous, still valid key.
import { describe, expect } from 'vitest';
import type { World } from '../e2e/world.ts';
import { KEYS_PATH, PUBLIC_KEY_PATH, SECRET_PATH, expectExit, failure, it } from '../e2e/world.ts';
import { SecretScope } from '../sandbox/github-secrets.ts';
import type { EmulatedResponse, HttpEmulator } from '../sandbox/http-emulator.ts';
import { startHttpEmulator } from '../sandbox/http-emulator.ts';
import type { StepResult } from '../sandbox/runner.ts';
import { FAST_TIMEOUTS, tamper } from './harness.ts';

const FIVE_MB = 5 * 1024 * 1024;
const HTML_502 = `<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body><h1>502 Bad Gateway</h1><hr><center>nginx</center></body></html>\n`;
const hugeJson = () => `{"keys": [], "padding": "${'x'.repeat(FIVE_MB)}"}`;
const hugeHtml = () => `<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1><pre>${'trace '.repeat(FIVE_MB / 6)}</pre></body></html>`;

interface Scene {
  world: World;
  previous: { id: string; token: string; name: string };
  runId: string;
}

function scene(world: World): Scene {
  return { world, previous: world.seedRotatedSecret(), runId: world.runId() };
}

function rotate({ world, runId }: Scene): Promise<StepResult> {
  return world.run({ github: { runId }, env: FAST_TIMEOUTS });
}

/** Exit 1 with one readable line that matches `names`; no orphan key; the secret still holds the previous, valid key. */
function expectCleanFailure({ world, previous, runId }: Scene, step: StepResult, names: RegExp): void {
  expectExit(step, 1);
  const message = failure(step);
  expect(message, 'one line').not.toMatch(/[\r\n]/);
  expect(message.length, 'readable length').toBeLessThan(800);
  expect(message, 'no markup').not.toMatch(/<\/?[a-z!][^>]*>/i);
  expect(message).toMatch(names);
  for (const key of world.keysOfRun(runId)) expect(key.revoked_at, `minted key ${key.id} is revoked`).not.toBeNull();
  expect(world.secret(), 'the secret still holds the previous key').toBe(previous.token);
  expect(world.keyValid(previous.id), 'the previous key is still valid').toBe(true);
}

/** A server on another origin that records what reaches it. */
async function otherOrigin(
  world: World,
  handler: Parameters<typeof startHttpEmulator>[0] = () => ({ status: 404 }),
): Promise<HttpEmulator> {
  const server = await startHttpEmulator(handler);
  world.scanAlso('other-origin', () => server.requests);
  return server;
}

function expectNoCredentialsReached(world: World, other: HttpEmulator): void {
  for (const request of other.requests) {
    expect(request.headers['authorization'], `${request.method} ${request.path} carries no Authorization`).toBeUndefined();
    const text = JSON.stringify(request.headers) + request.body + request.path;
    for (const secret of [world.adminKey, world.githubToken]) expect(text.includes(secret)).toBe(false);
  }
}

const redirectTo = (location: string): EmulatedResponse & { kind: 'status' } => ({
  kind: 'status',
  status: 307,
  headers: { location },
  body: '',
});

describe('hostile Kubiya responses', () => {
  // Lists of 50,000 keys (~15 MB) are read, so a big body is not refused for its size: for lacking a list of keys.
  it('a 5 MB key list without a list of keys', async ({ world }) => {
    const s = scene(world);
    const body = `{"padding": "${'x'.repeat(FIVE_MB)}"}`;
    world.kubiya.injectFault({ method: 'GET', path: KEYS_PATH, kind: 'status', status: 200, body, times: Infinity });
    expectCleanFailure(s, await rotate(s), /key list/);
    expect(world.kubiya.count('POST'), 'nothing minted').toBe(0);
  });

  it('a 5 MB answer to the mint, after the key was created', async ({ world }) => {
    const s = scene(world);
    tamper(world.kubiya, (request, response) => (request.method === 'POST' ? { ...response, body: hugeJson() } : undefined));
    expectCleanFailure(s, await rotate(s), /mint: .*no key/);
    expect(world.keysOfRun(s.runId), 'the key was created, then revoked').toHaveLength(1);
  });

  it('a key list that is not JSON', async ({ world }) => {
    const s = scene(world);
    world.kubiya.injectFault({ method: 'GET', path: KEYS_PATH, kind: 'status', status: 200, body: 'OK', times: Infinity });
    expectCleanFailure(s, await rotate(s), /key list/);
  });

  it('an answer to the mint that is not JSON, after the key was created', async ({ world }) => {
    const s = scene(world);
    tamper(world.kubiya, (request, response) =>
      request.method === 'POST' ? { ...response, headers: { 'content-type': 'text/plain' }, body: 'created' } : undefined,
    );
    expectCleanFailure(s, await rotate(s), /mint: .*no key/);
    expect(world.keysOfRun(s.runId)).toHaveLength(1);
  });

  it('HTML 502 pages (5 MB) from the key list', async ({ world }) => {
    const s = scene(world);
    world.kubiya.injectFault({
      method: 'GET',
      path: KEYS_PATH,
      kind: 'status',
      status: 502,
      headers: { 'content-type': 'text/html' },
      body: hugeHtml(),
      times: Infinity,
    });
    expectCleanFailure(s, await rotate(s), /listing API keys.*HTTP 502/);
  });

  it('HTML 502 pages from every try of the mint, each after a key was created', async ({ world }) => {
    const s = scene(world);
    tamper(world.kubiya, (request) =>
      request.method === 'POST' ? { status: 502, headers: { 'content-type': 'text/html' }, body: HTML_502 } : undefined,
    );
    expectCleanFailure(s, await rotate(s), /mint: .*HTTP 502/);
    expect(world.keysOfRun(s.runId), 'the first try and 3 retries each created a key').toHaveLength(4);
  });

  it('a create response with no key', async ({ world }) => {
    const s = scene(world);
    world.kubiya.options.createResponseShape = 'no-key';
    expectCleanFailure(s, await rotate(s), /mint: .*no key/);
    expect(world.keysOfRun(s.runId)).toHaveLength(1);
  });

  // An entry the client cannot read could be a managed key: the listing fails clearly before anything is minted,
  // rather than leaving a superseded key valid without a word (or the step-back check blind).
  it('key list entries without an id', async ({ world }) => {
    const s = scene(world);
    tamper(world.kubiya, (request, response) => {
      if (request.method !== 'GET' || request.path !== KEYS_PATH) return undefined;
      const { keys } = response.body as { keys: Record<string, unknown>[] };
      return { ...response, body: { keys: keys.map(({ id: _id, ...rest }) => rest) } };
    });
    expectCleanFailure(s, await rotate(s), /key list/);
  });

  // The same for entries without a name (say the field was renamed).
  it('key list entries without a name', async ({ world }) => {
    const s = scene(world);
    tamper(world.kubiya, (request, response) => {
      if (request.method !== 'GET' || request.path !== KEYS_PATH) return undefined;
      const { keys } = response.body as { keys: Record<string, unknown>[] };
      return { ...response, body: { keys: keys.map(({ name, ...rest }) => ({ ...rest, key_name: name })) } };
    });
    expectCleanFailure(s, await rotate(s), /key list/);
  });

  it('a redirect of the key list to another origin is not followed', async ({ world }) => {
    const s = scene(world);
    const other = await otherOrigin(world, () => ({ status: 200, body: { keys: [] } }));
    try {
      world.kubiya.injectFault({ method: 'GET', path: KEYS_PATH, ...redirectTo(`${other.url}${KEYS_PATH}`), times: Infinity });
      expectCleanFailure(s, await rotate(s), /listing API keys.*HTTP 307/);
      expect(other.requests, 'Kubiya requests never follow a redirect').toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('a redirect of the mint to another origin is not followed', async ({ world }) => {
    const s = scene(world);
    const other = await otherOrigin(world, () => ({ status: 201, body: {} }));
    try {
      world.kubiya.injectFault({ method: 'POST', path: KEYS_PATH, ...redirectTo(`${other.url}${KEYS_PATH}`), times: Infinity });
      expectCleanFailure(s, await rotate(s), /mint: .*HTTP 307/);
      expect(other.requests).toEqual([]);
    } finally {
      await other.close();
    }
  });
});

describe('hostile GitHub responses', () => {
  it('HTML 502 pages (5 MB) from the public key', async ({ world }) => {
    const s = scene(world);
    world.github.injectFault({
      method: 'GET',
      path: PUBLIC_KEY_PATH,
      kind: 'status',
      status: 502,
      headers: { 'content-type': 'text/html' },
      body: hugeHtml(),
      times: Infinity,
    });
    expectCleanFailure(s, await rotate(s), /public key of acme\/web.*HTTP 502/);
    expect(world.kubiya.count('POST'), 'nothing minted').toBe(0);
  });

  it('a public key that is not JSON', async ({ world }) => {
    const s = scene(world);
    world.github.injectFault({ method: 'GET', path: PUBLIC_KEY_PATH, kind: 'status', status: 200, body: 'not json', times: Infinity });
    expectCleanFailure(s, await rotate(s), /public[- ]key/);
    expect(world.kubiya.count('POST')).toBe(0);
  });

  it('a public key response without key_id', async ({ world }) => {
    const s = scene(world);
    tamper(world.github, (request, response) =>
      request.path === PUBLIC_KEY_PATH ? { ...response, body: { key: (response.body as { key: string }).key } } : undefined,
    );
    expectCleanFailure(s, await rotate(s), /public[- ]key.*key_id/);
    expect(world.kubiya.count('POST')).toBe(0);
  });

  it('HTML 502 pages from the PUT', async ({ world }) => {
    const s = scene(world);
    world.github.injectFault({
      method: 'PUT',
      path: SECRET_PATH,
      kind: 'status',
      status: 502,
      headers: { 'content-type': 'text/html' },
      body: HTML_502,
      times: Infinity,
    });
    expectCleanFailure(s, await rotate(s), /secret write: .*HTTP 502/);
    expect(world.keysOfRun(s.runId)).toHaveLength(1);
  });

  it('a redirect of the public key to another origin: the token does not follow', async ({ world }) => {
    const s = scene(world);
    // The other origin serves a public key of its own; sealed to it, GitHub cannot open the value and refuses the PUT.
    const scope = new SecretScope('other origin');
    const other = await otherOrigin(world, () => ({ status: 200, body: scope.publicKey() }));
    try {
      world.github.injectFault({ method: 'GET', path: PUBLIC_KEY_PATH, ...redirectTo(`${other.url}${PUBLIC_KEY_PATH}`), times: Infinity });
      const step = await rotate(s);
      expectNoCredentialsReached(world, other);
      expectCleanFailure(s, step, /acme\/web/);
    } finally {
      await other.close();
    }
  });

  // A cross-origin redirect of the PUT is not followed: a 204 from elsewhere is never taken for GitHub's answer (which
  // would revoke the previous key while GitHub's secret still holds it).
  it('a redirect of the PUT to another origin', async ({ world }) => {
    const s = scene(world);
    const other = await otherOrigin(world, () => ({ status: 204 }));
    try {
      world.github.injectFault({ method: 'PUT', path: SECRET_PATH, ...redirectTo(`${other.url}${SECRET_PATH}`), times: Infinity });
      const step = await rotate(s);
      expectNoCredentialsReached(world, other);
      expectCleanFailure(s, step, /secret write/);
    } finally {
      await other.close();
    }
  });

  // With both the public key and the PUT redirected to one other origin, that origin must never receive a Kubiya
  // key sealed to a public key of its own choosing: the public key is not taken from another origin, so nothing is
  // minted for the target at all.
  it('redirects of the public key and the PUT to one other origin: the new key does not reach it', async ({ world }) => {
    const s = scene(world);
    const scope = new SecretScope('other origin');
    const other = await otherOrigin(world, (request) =>
      request.method === 'GET' ? { status: 200, body: scope.publicKey() } : { status: 201, body: {} },
    );
    try {
      world.github.injectFault({ method: 'GET', path: PUBLIC_KEY_PATH, ...redirectTo(`${other.url}${PUBLIC_KEY_PATH}`), times: Infinity });
      world.github.injectFault({ method: 'PUT', path: SECRET_PATH, ...redirectTo(`${other.url}${SECRET_PATH}`), times: Infinity });
      const step = await rotate(s);
      expectNoCredentialsReached(world, other);
      const opened = other.requests
        .filter((request) => request.method === 'PUT')
        .map((request) => scope.open((JSON.parse(request.body) as { encrypted_value: string }).encrypted_value));
      const kubiyaKeys = new Set(world.kubiya.keys().map((key) => key.token));
      expect(
        opened.filter((value) => value !== undefined && kubiyaKeys.has(value)),
        'Kubiya keys the other origin can open',
      ).toEqual([]);
      expectCleanFailure(s, step, /public key of acme\/web.*another origin/);
    } finally {
      await other.close();
    }
  });
});
