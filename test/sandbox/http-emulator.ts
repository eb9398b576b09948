// A small node:http server base shared by the Kubiya and GitHub emulators: request log,
// latency with seeded jitter, in-flight tracking and fault injection. Loopback only.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface EmulatedRequest {
  /** 1-based arrival number since the server started (same as the log entry's `seq`). */
  readonly seq: number;
  readonly method: string;
  /** Pathname exactly as received: still URL-encoded, without the query string. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Lower-cased header names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Parsed body; `undefined` for an empty body; throws SyntaxError on malformed JSON. */
  json(): unknown;
}

export interface EmulatedResponse {
  status: number;
  headers?: Record<string, string>;
  /** Strings are sent as they are; anything else is JSON-encoded; `undefined` sends no body. */
  body?: unknown;
  /** Copied to the log entry, for responses that model a platform condition (e.g. a rate limit). */
  fault?: string;
}

export type EmulatedHandler = (req: EmulatedRequest) => EmulatedResponse | Promise<EmulatedResponse>;

export type RequestOutcome = number | 'pending' | 'reset' | 'hang' | 'lost' | 'drip';

export interface RequestRecord {
  seq: number;
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: string;
  /** HTTP status sent, or what happened instead; 'pending' while the request is being served. */
  status: RequestOutcome;
  /** Epoch milliseconds with sub-millisecond precision. */
  startedAt: number;
  endedAt: number | undefined;
  fault?: string;
}

/**
 * `drip`: the answer's status and headers go out, then one byte of its body every `dripEveryMs` (default 100),
 * forever: a server or proxy whose answer never ends. In-process (`dispatch`) it is a hang.
 */
export type FaultKind = 'status' | 'reset' | 'hang' | 'lost-response' | 'drip';

export interface Fault {
  /** Case-insensitive; omitted = any method. */
  method?: string;
  /**
   * Matched against the raw pathname (URL-encoded as received, no query string, including any
   * `/api/v3` prefix): a string must be equal, a RegExp must `test()` true. Omitted = any path.
   */
  path?: string | RegExp;
  /** 1-based index among matching requests that arrive after injection; default 1 (the next one). */
  nth?: number;
  /** How many matching requests get the fault, starting at the nth; default 1; Infinity allowed. */
  times?: number;
  kind: FaultKind;
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** drip only: milliseconds between the body's bytes */
  dripEveryMs?: number;
}

/** A request handed to `dispatch`: no socket, the same log, faults and handler. */
export interface DispatchRequest {
  method: string;
  /** Path and query as a client sends them (`/api/v1/auth/keys?page=2`); an absolute URL is reduced to those. */
  url: string;
  /** Lower-cased names. */
  headers: Record<string, string>;
  body: string;
}

/** What the client of a dispatched request would have received. */
export type DispatchOutcome =
  | { kind: 'response'; status: number; headers: Record<string, string>; text: string }
  /** no answer: the connection was reset before (or instead of) the handler */
  | { kind: 'reset' }
  /** the handler ran (the request took effect) but its answer never reached the client */
  | { kind: 'lost' }
  | { kind: 'hang' };

interface Arrival {
  record: RequestRecord;
  fault: Fault | undefined;
  finish: (status: RequestOutcome, faultNote?: string) => void;
}

/** How #respond reaches its client: a socket's response, or dispatch's answer. */
interface ResponderIo {
  /** the answer can no longer be sent (headers went out, or the client is gone) */
  gone(): boolean;
  destroy(): void;
  send(response: EmulatedResponse): boolean;
  /** sends the head of an answer whose body never ends (absent in-process: a drip is a hang there) */
  drip?(status: number, headers: Record<string, string>, everyMs: number): void;
}

export interface HttpEmulatorOptions {
  latencyMs?: number;
  /** Extra delay, uniformly drawn from [0, jitterMs) with a PRNG seeded by `seed`. */
  jitterMs?: number;
  seed?: number;
}

interface ActiveFault {
  fault: Fault;
  /** Set by injectFaultAtRequest: the first request seq the fault may fire on. */
  fromSeq: number | undefined;
  matched: number;
  fired: number;
}

function now(): number {
  return performance.timeOrigin + performance.now();
}

function pathMatches(pattern: string | RegExp | undefined, path: string): boolean {
  if (pattern === undefined) return true;
  if (typeof pattern === 'string') return pattern === path;
  pattern.lastIndex = 0; // a /g or /y RegExp would otherwise remember the previous match
  return pattern.test(path);
}

function methodMatches(method: string | undefined, actual: string): boolean {
  return method === undefined || method === '*' || method.toUpperCase() === actual;
}

/** mulberry32: tiny, seedable, good enough for latency jitter (and the interleaving explorer's choices). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function flattenHeaders(raw: http.IncomingHttpHeaders): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function parseJson(body: string): unknown {
  return body === '' ? undefined : JSON.parse(body);
}

export class HttpEmulator {
  url = '';
  latencyMs: number;
  jitterMs: number;
  readonly requests: RequestRecord[] = [];
  inFlight = 0;
  maxInFlight = 0;
  /** Requests received since start (not reset by clearRequests). */
  requestCount = 0;

  readonly #server: http.Server;
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #handler: EmulatedHandler | undefined;
  readonly #random: () => number;
  /** Called after every server-side event: a request arrived, its client went away, it ended. */
  readonly #listeners = new Set<() => void>();
  readonly #clientGone = new WeakSet<RequestRecord>();
  #faults: ActiveFault[] = [];
  #closed = false;

  constructor(options: HttpEmulatorOptions = {}, handler?: EmulatedHandler) {
    this.latencyMs = options.latencyMs ?? 0;
    this.jitterMs = options.jitterMs ?? 0;
    this.#random = mulberry32(options.seed ?? 1);
    this.#handler = handler;
    this.#server = http.createServer((req, res) => void this.#serve(req, res));
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = this.#server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    return this;
  }

  /** Subclasses override this; the base calls the handler given to the constructor. */
  protected handle(req: EmulatedRequest): EmulatedResponse | Promise<EmulatedResponse> {
    if (!this.#handler) return { status: 404, body: { message: 'Not Found' } };
    return this.#handler(req);
  }

  injectFault(fault: Fault): void {
    this.#faults.push({ fault, fromSeq: undefined, matched: 0, fired: 0 });
  }

  /**
   * Fault for the k-th request overall (1-based `seq`, counted since start). With `times`, the
   * following requests too; with method/path filters, the first matching requests from the k-th on.
   */
  injectFaultAtRequest(k: number, fault: Fault): void {
    this.#faults.push({ fault, fromSeq: k, matched: 0, fired: 0 });
  }

  clearFaults(): void {
    this.#faults = [];
  }

  /** Empties the log and restarts `maxInFlight` from the current `inFlight`. */
  clearRequests(): void {
    this.requests.length = 0;
    this.maxInFlight = this.inFlight;
  }

  matching(method?: string, path?: string | RegExp): RequestRecord[] {
    return this.requests.filter((r) => methodMatches(method, r.method) && pathMatches(path, r.path));
  }

  count(method?: string, path?: string | RegExp): number {
    return this.matching(method, path).length;
  }

  /**
   * Resolves with the nth (1-based, default 1) matching entry of the log, counting entries already
   * there; an arriving request is seen once its body has been read.
   */
  waitForRequest(
    method?: string,
    path?: string | RegExp,
    { nth = 1, timeoutMs = 5_000 }: { nth?: number; timeoutMs?: number } = {},
  ): Promise<RequestRecord> {
    return this.#until(() => this.matching(method, path)[nth - 1], `no ${method ?? 'request'} ${String(path ?? '')}`, timeoutMs);
  }

  /** Resolves once the server saw the client of this request close its connection (it gave up, or was reset). */
  async waitForClientGone(record: RequestRecord, { timeoutMs = 5_000 }: { timeoutMs?: number } = {}): Promise<void> {
    await this.#until(() => this.#clientGone.has(record) || undefined, `the client of request ${record.seq} did not go away`, timeoutMs);
  }

  /** Resolves once this request has its outcome: a status sent, or 'reset', 'hang', 'lost'. */
  async waitForOutcome(record: RequestRecord, { timeoutMs = 5_000 }: { timeoutMs?: number } = {}): Promise<RequestRecord> {
    return this.#until(() => (record.status === 'pending' ? undefined : record), `request ${record.seq} has no outcome`, timeoutMs);
  }

  /**
   * Resolves with `found()` as soon as it is defined, checked now and after every server-side event — no
   * polling and no guessing how long the server needs. `timeoutMs` only bounds a test that would hang.
   */
  #until<T>(found: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    const now = found();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#listeners.delete(listener);
        reject(new Error(`${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (): void => {
        const value = found();
        if (value === undefined) return;
        clearTimeout(timer);
        this.#listeners.delete(listener);
        resolve(value);
      };
      this.#listeners.add(listener);
    });
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer); // clears intervals too
    this.#timers.clear();
    const closedAt = now();
    for (const record of this.requests) record.endedAt ??= closedAt;
    const closing = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    for (const socket of this.#sockets) socket.destroy();
    await closing;
  }

  #pickFault(seq: number, method: string, path: string): Fault | undefined {
    let chosen: ActiveFault | undefined;
    for (const active of this.#faults) {
      const { fault } = active;
      if (!methodMatches(fault.method, method) || !pathMatches(fault.path, path)) continue;
      const times = fault.times ?? 1;
      if (active.fromSeq !== undefined) {
        if (!chosen && seq >= active.fromSeq && active.fired < times) chosen = active;
        continue;
      }
      active.matched += 1;
      if (!chosen && active.matched >= (fault.nth ?? 1) && active.fired < times) chosen = active;
    }
    if (!chosen) return undefined;
    chosen.fired += 1;
    if (chosen.fired >= (chosen.fault.times ?? 1)) this.#faults = this.#faults.filter((f) => f !== chosen);
    return chosen.fault;
  }

  #delay(): Promise<void> {
    const ms = this.latencyMs + (this.jitterMs > 0 ? this.#random() * this.jitterMs : 0);
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        resolve();
      }, ms);
      this.#timers.add(timer);
    });
  }

  /**
   * Runs one request through the same path as one that came over a socket — the log, injected faults (and
   * `fault`, for this request only), latency, the handler — without a socket: tests that drive clients
   * in-process (and in virtual time) see their requests logged like real ones. Resolves with what the client
   * would have received; 'hang' resolves at once, with the request left 'hang' in the log.
   */
  async dispatch(request: DispatchRequest, fault?: Fault): Promise<DispatchOutcome> {
    const arrival = this.#arrive(request.method, request.url, request.headers, fault);
    arrival.record.body = request.body;
    let answer: DispatchOutcome = { kind: 'reset' };
    let gone = false;
    await this.#respond(arrival, {
      gone: () => gone,
      destroy: () => {
        gone = true;
      },
      send: (response) => {
        if (gone) return false;
        const { headers, text } = renderResponse(response);
        answer = { kind: 'response', status: response.status, headers, text: text ?? '' };
        return true;
      },
    });
    if (arrival.record.status === 'hang') return { kind: 'hang' };
    if (arrival.record.status === 'lost') return { kind: 'lost' };
    return answer;
  }

  #arrive(method: string, url: string, headers: Record<string, string>, override?: Fault): Arrival {
    const seq = ++this.requestCount;
    const target = new URL(url || '/', 'http://emulator.invalid');
    const record: RequestRecord = {
      seq,
      method: method.toUpperCase(),
      path: target.pathname,
      query: target.searchParams,
      headers,
      body: '',
      status: 'pending',
      startedAt: now(),
      endedAt: undefined,
    };
    this.requests.push(record);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const picked = this.#pickFault(seq, record.method, record.path);
    let finished = false;
    const finish = (status: RequestOutcome, faultNote?: string): void => {
      if (finished) return;
      finished = true;
      record.status = status;
      if (faultNote !== undefined) record.fault = faultNote;
      record.endedAt = now();
      this.inFlight -= 1;
      this.#notify();
    };
    return { record, fault: override ?? picked, finish };
  }

  async #serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const arrival = this.#arrive(req.method ?? 'GET', req.url ?? '/', flattenHeaders(req.headers));
    const io: ResponderIo = {
      gone: () => res.headersSent,
      destroy: () => req.socket.destroy(),
      send: (response) => this.#send(res, response),
      drip: (status, headers, everyMs) => this.#drip(res, status, headers, everyMs),
    };
    // The connection closed before the answer went out: the client gave up (or the server reset it).
    res.once('close', () => {
      if (arrival.record.endedAt !== undefined) return;
      this.#clientGone.add(arrival.record);
      this.#notify();
    });
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      arrival.record.body = Buffer.concat(chunks).toString('utf8');
    } catch (error) {
      this.#failed(arrival, io, error);
      return;
    }
    await this.#respond(arrival, io);
  }

  /** Everything after the request's body was read: the part socket and in-process requests share. */
  async #respond(arrival: Arrival, io: ResponderIo): Promise<void> {
    const { record, fault, finish } = arrival;
    try {
      this.#notify();
      if (fault?.kind === 'hang' || (fault?.kind === 'drip' && !io.drip)) {
        record.status = 'hang';
        record.fault = 'hang';
        this.#notify();
        return; // stays in flight until close() destroys the socket
      }
      if (fault?.kind === 'drip') {
        record.status = 'drip';
        record.fault = 'drip';
        io.drip!(fault.status ?? 200, fault.headers ?? {}, fault.dripEveryMs ?? 100);
        this.#notify();
        return; // stays in flight until its client goes away or close() destroys the socket
      }
      await this.#delay();
      if (this.#closed) return;
      if (fault?.kind === 'reset') {
        io.destroy();
        finish('reset', 'reset');
        return;
      }
      if (fault?.kind === 'status') {
        const status = fault.status ?? 500;
        if (io.send({ status, headers: fault.headers ?? {}, body: fault.body })) finish(status, `status ${status}`);
        else finish('lost', `client-gone (status ${status})`);
        return;
      }
      const body = record.body;
      const response = await this.handle({
        seq: record.seq,
        method: record.method,
        path: record.path,
        query: record.query,
        headers: record.headers,
        body,
        json: () => parseJson(body),
      });
      if (this.#closed) return;
      if (fault?.kind === 'lost-response') {
        io.destroy();
        finish('lost', `lost-response (handled as ${response.status})`);
        return;
      }
      if (io.send(response)) finish(response.status, response.fault);
      else finish('lost', `client-gone (handled as ${response.status})`);
    } catch (error) {
      this.#failed(arrival, io, error);
    }
  }

  #failed({ finish }: Arrival, io: ResponderIo, error: unknown): void {
    if (this.#closed || io.gone()) {
      finish('reset', `error: ${String(error)}`);
      return;
    }
    if (io.send({ status: 500, body: { message: `emulator error: ${String(error)}` } })) {
      finish(500, `handler-error: ${String(error)}`);
    } else finish('lost', `client-gone (error: ${String(error)})`);
  }

  /** An answer whose body never ends: a byte every `everyMs` until the client goes away or the server closes. */
  #drip(res: http.ServerResponse, status: number, headers: Record<string, string>, everyMs: number): void {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.write('[');
    const timer = setInterval(() => res.write(' '), everyMs);
    this.#timers.add(timer);
    res.once('close', () => {
      clearInterval(timer);
      this.#timers.delete(timer);
    });
  }

  /** False when the client went away (e.g. its timeout fired) before the answer could be sent. */
  #send(res: http.ServerResponse, response: EmulatedResponse): boolean {
    if (res.destroyed || res.socket === null || res.socket.destroyed) return false;
    const { headers, text } = renderResponse(response);
    res.writeHead(response.status, headers);
    res.end(text);
    return true;
  }
}

/** Lower-cased headers (content type and length added) and body text of a response, as it goes on the wire. */
function renderResponse(response: EmulatedResponse): { headers: Record<string, string>; text: string | undefined } {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers ?? {})) headers[name.toLowerCase()] = value;
  let text: string | undefined;
  if (typeof response.body === 'string') {
    text = response.body;
    headers['content-type'] ??= 'text/plain; charset=utf-8';
  } else if (response.body !== undefined) {
    text = JSON.stringify(response.body);
    headers['content-type'] ??= 'application/json; charset=utf-8';
  }
  if (text !== undefined) headers['content-length'] = String(Buffer.byteLength(text));
  return { headers, text };
}

export async function startHttpEmulator(handler: EmulatedHandler, options: HttpEmulatorOptions = {}): Promise<HttpEmulator> {
  return new HttpEmulator(options, handler).listen();
}

/** A loopback URL nothing listens on: connecting to it is refused (a closed port, for "nothing was sent" cases). */
export async function refusedUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}
