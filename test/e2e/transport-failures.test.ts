// What the HTTP layer knows of a request's fate, as a user meets it: a public key no value can be sealed for stops
// its slot before anything is minted; a Kubiya that cannot be reached is named with what failed locally, not
// taken for one that may have created a key; and a server whose answer never ends cannot keep the step alive.
import { describe, expect } from 'vitest';
import { refusedUrl } from '../sandbox/http-emulator.ts';
import { KEYS_PATH, PUBLIC_KEY_PATH, SELF_PATH, expectExit, failure, it, results } from './world.ts';

describe('rotate: a public key no value can be sealed for', () => {
  const keyOf = (bytes: number) => Buffer.alloc(bytes, 9).toString('base64');

  it.for([
    { what: '31 bytes', key: keyOf(31) },
    { what: '33 bytes', key: keyOf(33) },
    { what: 'not base64', key: 'this is not base64!' },
  ])('fails the slot before minting when GitHub returns a public key of $what', async ({ key }, { world }) => {
    const previous = world.seedRotatedSecret();
    world.github.injectFault({ method: 'GET', path: PUBLIC_KEY_PATH, kind: 'status', status: 200, body: { key_id: '0123', key } });

    const step = await world.run();
    expectExit(step, 1);

    expect(world.kubiya.count('POST', KEYS_PATH), 'no key was minted').toBe(0);
    expect(world.writes()).toEqual([]);
    expect(world.secret()).toBe(previous.token);
    expect(results(step)[0]).toMatchObject({ status: 'failed' });
    const message = failure(step);
    expect(message).toContain('The public key GitHub (or a proxy in between) returned for acme/web is not a 32-byte base64 key');
    expect(message).toContain('nothing was minted for it');
    expect(message).toContain('github-api-url');
  });
});

describe('mint: a kubiya-api-url that cannot be reached', () => {
  it('says nothing was sent, naming the host and the local error, not that Kubiya may have created the key', async ({ world }) => {
    const url = await refusedUrl();
    const step = await world.run({ inputs: { mode: 'mint', 'kubiya-api-url': url, 'github-token': undefined }, github: { job: 'deploy' } });
    expectExit(step, 1);

    const message = failure(step);
    expect(message).toContain(`Could not reach Kubiya at ${url}`);
    expect(message).toMatch(/ECONNREFUSED.*nothing was sent/);
    expect(message).not.toMatch(/may have created|did not answer/);
  });
});

describe('a server whose answer never ends', () => {
  it('cannot keep the step alive: a Kubiya request abandoned at its deadline is closed and the step exits', async ({ world }) => {
    world.kubiya.injectFault({ method: 'GET', path: SELF_PATH, kind: 'drip', times: Infinity, dripEveryMs: 50 });

    const step = await world.run({ inputs: { mode: 'revoke' } });

    expect(step.timedOut || step.signal !== null, 'the step ended on its own').toBe(false);
    expectExit(step, 1);
    expect(failure(step)).toMatch(/Kubiya did not answer the check of admin-api-key \(timed out after 1500 ms\)/);
  });

  it('cannot keep the step alive: a GitHub request abandoned at its deadline is closed and the step exits', async ({ world }) => {
    const previous = world.seedRotatedSecret();
    world.github.injectFault({ method: 'GET', path: PUBLIC_KEY_PATH, kind: 'drip', times: Infinity, dripEveryMs: 50 });

    const step = await world.run();

    expect(step.timedOut || step.signal !== null, 'the step ended on its own').toBe(false);
    expectExit(step, 1);
    expect(failure(step)).toMatch(/GitHub did not answer reading the public key of acme\/web \(timed out after 1500 ms\)/);
    expect(world.kubiya.count('POST', KEYS_PATH), 'no key was minted').toBe(0);
    expect(world.secret()).toBe(previous.token);
  });
});
