// Which failures of an exchange prove that nothing of the request left the runner: decided in one place
// (src/http-exchange.ts) and read by both services' clients.
import { describe, expect, it } from 'vitest';
import { NoAnswer, failedBeforeSending, httpExchange, notSent } from '../../src/http-exchange.ts';

/** An error shaped as Node's http/net/dns/tls layers raise it. */
const nodeError = (message: string, fields: { code?: string; syscall?: string }) => Object.assign(new Error(message), fields);

describe('failedBeforeSending', () => {
  it.each([
    ['the host did not resolve', nodeError('getaddrinfo ENOTFOUND kubiya.example', { code: 'ENOTFOUND', syscall: 'getaddrinfo' })],
    ['DNS failed for now', nodeError('getaddrinfo EAI_AGAIN kubiya.example', { code: 'EAI_AGAIN', syscall: 'getaddrinfo' })],
    ['the connection was refused', nodeError('connect ECONNREFUSED 127.0.0.1:1', { code: 'ECONNREFUSED', syscall: 'connect' })],
    ['no route to the host while connecting', nodeError('connect EHOSTUNREACH 10.0.0.1:443', { code: 'EHOSTUNREACH', syscall: 'connect' })],
    ['the network was unreachable while connecting', nodeError('connect ENETUNREACH', { code: 'ENETUNREACH', syscall: 'connect' })],
    ['the connection attempt timed out', nodeError('connect ETIMEDOUT 10.0.0.1:443', { code: 'ETIMEDOUT', syscall: 'connect' })],
    ['an invalid URL', nodeError('Invalid URL', { code: 'ERR_INVALID_URL' })],
    ['a certificate the runner refused', nodeError('certificate has expired', { code: 'CERT_HAS_EXPIRED' })],
    ['a self-signed certificate', nodeError('self-signed certificate', { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })],
    [
      'a certificate for another host',
      nodeError("Hostname/IP does not match certificate's altnames", { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }),
    ],
    ['a proxy that refused the CONNECT', nodeError('tunneling socket could not be established, statusCode=502', { code: 'ECONNRESET' })],
    [
      'every address refused (happy eyeballs)',
      new AggregateError([
        nodeError('connect ECONNREFUSED ::1:1', { code: 'ECONNREFUSED', syscall: 'connect' }),
        nodeError('connect ECONNREFUSED 127.0.0.1:1', { code: 'ECONNREFUSED', syscall: 'connect' }),
      ]),
    ],
  ])('is true when %s', (_what, error) => {
    expect(failedBeforeSending(error)).toBe(true);
  });

  it.each([
    ['the connection was reset', nodeError('read ECONNRESET', { code: 'ECONNRESET', syscall: 'read' })],
    ['the server hung up', nodeError('socket hang up', { code: 'ECONNRESET' })],
    ['a write on an open connection failed', nodeError('write EPIPE', { code: 'EPIPE', syscall: 'write' })],
    ['the host became unreachable on an open connection', nodeError('read EHOSTUNREACH', { code: 'EHOSTUNREACH', syscall: 'read' })],
    ['http-client gave up on an idle socket', new Error('Request timeout: /api/v1/auth/keys')],
    ['a TLS error on an open connection', nodeError('decryption failed', { code: 'ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC' })],
    [
      'one of several addresses was reset',
      new AggregateError([
        nodeError('connect ECONNREFUSED', { code: 'ECONNREFUSED', syscall: 'connect' }),
        nodeError('read ECONNRESET', { code: 'ECONNRESET', syscall: 'read' }),
      ]),
    ],
    ['not an error at all', 'ECONNREFUSED'],
  ])('is false when %s: the request may have reached the server', (_what, error) => {
    expect(failedBeforeSending(error)).toBe(false);
  });
});

describe('the exchange', () => {
  const exchange = (transport: () => Promise<never>, timeoutMs = 1_000) =>
    httpExchange({ userAgent: 'test', timeoutMs, what: 'Kubiya', urlInput: 'kubiya-api-url', transport });

  it('marks a failure before sending as notSent, readable through a wrapping error (Octokit puts it in cause)', async () => {
    const refused = exchange(() =>
      Promise.reject(nodeError('connect ECONNREFUSED 127.0.0.1:1', { code: 'ECONNREFUSED', syscall: 'connect' })),
    );
    const error = await refused('GET', 'http://127.0.0.1:1/x', {}, null).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoAnswer);
    expect(notSent(error)).toBe(true);
    expect(notSent(Object.assign(new Error('wrapped'), { cause: error }))).toBe(true);
    expect((error as Error).message).toBe('connect ECONNREFUSED 127.0.0.1:1');
  });

  it('marks a reset as possibly sent', async () => {
    const reset = exchange(() => Promise.reject(nodeError('read ECONNRESET', { code: 'ECONNRESET', syscall: 'read' })));
    const error = await reset('PUT', 'http://127.0.0.1:1/x', {}, 'body').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoAnswer);
    expect(notSent(error)).toBe(false);
  });

  it('gives up at its deadline as possibly sent, and aborts the signal it handed the transport', async () => {
    let signal: AbortSignal | undefined;
    const never = httpExchange({
      userAgent: 'test',
      timeoutMs: 20,
      what: 'GitHub',
      urlInput: 'github-api-url',
      transport: (_m, _u, _h, _b, given) => {
        signal = given;
        return new Promise<never>(() => {});
      },
    });
    const error = await never('GET', 'http://127.0.0.1:1/x', {}, null).catch((e: unknown) => e);
    expect((error as Error).message).toBe('timed out after 20 ms');
    expect(notSent(error)).toBe(false);
    expect(signal?.aborted, 'the abandoned exchange was told to close').toBe(true);
  });
});
