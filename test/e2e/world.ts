// The world every end-to-end test runs in: a Kubiya emulator with an admin user, a GitHub emulator
// with acme/web (and its look-alike acme/web-api) and a PAT that can write their secrets, and the
// built action run as the Actions runner runs it. Every step a test runs is remembered, and when the
// test ends the world scans all of them — and both emulators' request logs — for leaked credentials.
import { randomBytes } from 'node:crypto';
import { test as base, expect } from 'vitest';
import { startGitHubEmulator } from '../sandbox/github-emulator.ts';
import type { GitHubEmulator, GitHubEmulatorOptions, TokenGrant } from '../sandbox/github-emulator.ts';
import type { RequestRecord } from '../sandbox/http-emulator.ts';
import { startKubiyaEmulator } from '../sandbox/kubiya-emulator.ts';
import type { KubiyaEmulator, KubiyaEmulatorOptions, KubiyaKey, SeedKeyOptions } from '../sandbox/kubiya-emulator.ts';
import { assertNoLeaks, emulatorArtifacts, stepArtifacts } from '../sandbox/leak-scan.ts';
import type { AllowedPlace } from '../sandbox/leak-scan.ts';
import { isMaskedBeforeUse, maskIndexOf, runJob, runStep } from '../sandbox/runner.ts';
import type { GitHubContextOptions, JobResult, StepResult } from '../sandbox/runner.ts';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export const REPO = 'acme/web';
export const SECRET = 'KUBIYA_API_KEY';
export const KEYS_PATH = '/api/v1/auth/keys';
export const SELF_PATH = '/api/v1/users/self';
export const KEY_PATH = /^\/api\/v1\/auth\/keys\/[^/]+$/;
export const PUBLIC_KEY_PATH = `/repos/${REPO}/actions/secrets/public-key`;
export const SECRET_PATH = `/repos/${REPO}/actions/secrets/${SECRET}`;

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Inputs as `with:` gives them; `undefined` leaves an input unset so its action.yml default applies. */
export type Inputs = Record<string, string | undefined>;

export interface StepOptions {
  inputs?: Inputs;
  /** Defaults: acme/web, a fresh run id, attempt 1, job `rotate`. */
  github?: GitHubContextOptions;
  /** Merged over the world's test hooks (short timeouts and backoff). */
  env?: Record<string, string | undefined>;
  state?: Record<string, string>;
  /** Places a credential may legitimately be (mint mode: `output:api-key`, `env:KUBIYA_API_KEY`). */
  allow?: AllowedPlace[];
  /** The step is killed past this, as the runner kills a cancelled job's step. */
  timeoutMs?: number;
}

interface RecordedStep {
  result: StepResult;
  allow: AllowedPlace[];
}

export class World {
  readonly kubiya: KubiyaEmulator;
  readonly github: GitHubEmulator;
  readonly adminEmail = 'ci-bot@acme.dev';
  readonly adminKey: string;
  /** A fine-grained PAT with "Secrets: Read and write" on every repository. */
  readonly githubToken: string;
  /** The test hooks every step gets: a short request timeout and a short retry backoff. */
  readonly hooks = { KUBIYA_ACTION_REQUEST_TIMEOUT_MS: '1500', KUBIYA_ACTION_RETRY_BASE_MS: '10' };
  readonly steps: RecordedStep[] = [];
  /** Credentials that are not Kubiya keys (GitHub tokens, made-up admin keys) to scan for. */
  private readonly otherSecrets: string[] = [];
  /** Request logs of other servers (another origin) where no credential may appear at all. */
  private readonly foreignLogs: { label: string; requests: () => readonly RequestRecord[] }[] = [];
  private nextRunId = 7_000_000_000 + Math.floor(Math.random() * 1_000_000) * 100;

  private constructor(kubiya: KubiyaEmulator, github: GitHubEmulator) {
    this.kubiya = kubiya;
    this.github = github;
    this.adminKey = kubiya.addUser({ email: this.adminEmail, org: 'acme' }).apiKey;
    github.addRepo('acme/web');
    github.addRepo('acme/web-api');
    this.githubToken = this.addGitHubToken({ kind: 'pat' });
  }

  static async start(kubiyaOptions: KubiyaEmulatorOptions = {}, githubOptions: GitHubEmulatorOptions = {}): Promise<World> {
    const [kubiya, github] = await Promise.all([startKubiyaEmulator(kubiyaOptions), startGitHubEmulator(githubOptions)]);
    return new World(kubiya, github);
  }

  // ---- seeding ----------------------------------------------------------------------------

  /** A run id no earlier call returned, increasing: later runs have larger ids, as on GitHub. */
  runId(): string {
    this.nextRunId += 1;
    return String(this.nextRunId);
  }

  addGitHubToken(grant: TokenGrant): string {
    const prefix = grant.kind === 'pat' ? 'github_pat_' : 'ghs_';
    const token = `${prefix}${randomBytes(24).toString('base64url')}`;
    this.github.addToken(token, grant);
    this.otherSecrets.push(token);
    return token;
  }

  /** A credential-shaped string no service knows, to be scanned for like the real ones. */
  madeUpSecret(prefix: string): string {
    const secret = `${prefix}${randomBytes(24).toString('base64url')}`;
    this.otherSecrets.push(secret);
    return secret;
  }

  /** A pre-existing key of the admin's org. */
  seedKey(seed: Omit<SeedKeyOptions, 'userEmail' | 'userUuid'>): { id: string; token: string } {
    return this.kubiya.seedKey({ userEmail: this.adminEmail, ...seed });
  }

  /** A key a run of this action minted earlier for a slot (default: acme/web's KUBIYA_API_KEY). */
  seedManagedKey(
    options: { runId: string; attempt?: number; createdAt?: Date; scope?: string; secretName?: string; prefix?: string } & Omit<
      SeedKeyOptions,
      'name' | 'userEmail' | 'userUuid'
    >,
  ): {
    id: string;
    token: string;
    name: string;
  } {
    const { runId, attempt, scope, secretName, prefix, ...seed } = options;
    const name = keyName({ runId, attempt, scope, secretName, prefix });
    return { ...this.seedKey({ ...seed, name }), name };
  }

  /** The state a previous rotation leaves: a managed key of acme/web held by its secret. */
  seedRotatedSecret(options: { createdAt?: Date } = {}): { id: string; token: string; name: string } {
    const key = this.seedManagedKey({ runId: this.runId(), createdAt: options.createdAt ?? new Date(Date.now() - DAY) });
    this.github.seedSecret({ repo: REPO }, SECRET, key.token);
    return key;
  }

  /** Also scan this server's request log (another origin): no credential may reach it in any form. */
  scanAlso(label: string, requests: () => readonly RequestRecord[]): void {
    this.foreignLogs.push({ label, requests });
  }

  // ---- running the action -----------------------------------------------------------------

  /** The inputs a rotation of acme/web against the emulators needs. */
  baseInputs(): Record<string, string> {
    return {
      'admin-api-key': this.adminKey,
      'kubiya-api-url': this.kubiya.url,
      'github-token': this.githubToken,
      'github-api-url': this.github.url,
    };
  }

  private stepOptions(options: StepOptions) {
    const inputs: Record<string, string> = {};
    for (const [name, value] of Object.entries({ ...this.baseInputs(), ...options.inputs })) {
      if (value !== undefined) inputs[name] = value;
    }
    return {
      inputs,
      github: { repository: REPO, runId: this.runId(), ...options.github },
      env: { ...this.hooks, ...options.env },
      timeoutMs: options.timeoutMs,
    };
  }

  /** The main step (`dist/index.js`), or with `entry: 'post'` the post step alone. */
  async run(options: StepOptions & { entry?: 'main' | 'post' } = {}): Promise<StepResult> {
    const result = await runStep({ ...this.stepOptions(options), state: options.state, entry: options.entry ?? 'main' });
    this.steps.push({ result, allow: options.allow ?? [] });
    return result;
  }

  /** main then post in one job, as the runner runs an action with `runs.post`. */
  async job(options: Omit<StepOptions, 'state'> & { post?: { env?: Record<string, string | undefined> } } = {}): Promise<JobResult> {
    const job = await runJob({ ...this.stepOptions(options), post: options.post });
    this.steps.push({ result: job.main, allow: options.allow ?? [] });
    if (job.post) this.steps.push({ result: job.post, allow: options.allow ?? [] });
    return job;
  }

  // ---- looking at the world ---------------------------------------------------------------

  secret(name = SECRET, repo = REPO): string | undefined {
    return this.github.secretValue({ repo }, name);
  }

  /** Every key ever created whose name starts with `prefix` (revoked ones included). */
  keysNamed(prefix: string): KubiyaKey[] {
    return this.kubiya.keys().filter((key) => key.name.startsWith(prefix));
  }

  /** The keys the run minted for a slot (by their exact name; default slot: acme/web's KUBIYA_API_KEY). */
  keysOfRun(runId: string, options: { attempt?: number | string; scope?: string; secretName?: string; prefix?: string } = {}): KubiyaKey[] {
    const name = keyName({ runId, ...options });
    return this.kubiya.keys().filter((key) => key.name === name);
  }

  keyValid(id: string): boolean {
    const key = this.kubiya.keyById(id);
    return key !== undefined && this.kubiya.isValid(key.token);
  }

  /** The key a token belongs to; fails the test when Kubiya does not know it. */
  keyOf(token: string | undefined): KubiyaKey {
    const key = token === undefined ? undefined : this.kubiya.keyByToken(token);
    if (!key) throw new Error('expected a key Kubiya knows');
    return key;
  }

  /** Whether a request matching `between` came after the nth (0-based) and before the next request matching `bracket`. */
  kubiyaRequestBetween(
    bracket: { method: string; path: string | RegExp },
    nth: number,
    between: { method: string; path: string | RegExp },
  ): boolean {
    const { requests } = this.kubiya;
    const bracketing = this.kubiya.matching(bracket.method, bracket.path);
    const from = requests.indexOf(bracketing[nth]!);
    const to = bracketing[nth + 1] ? requests.indexOf(bracketing[nth + 1]!) : requests.length;
    const middle = new Set(requests.slice(from + 1, to));
    return this.kubiya.matching(between.method, between.path).some((request) => middle.has(request));
  }

  /** POST, PUT, PATCH and DELETE requests received by either emulator. */
  writes(): RequestRecord[] {
    return [...this.kubiya.requests, ...this.github.requests].filter((request) => WRITES.has(request.method));
  }

  requestCount(): number {
    return this.kubiya.requests.length + this.github.requests.length;
  }

  // ---- the closing checks -----------------------------------------------------------------

  /**
   * No credential — the admin key, any GitHub token, any key the Kubiya emulator holds (seeded or
   * minted) — appears in anything a step left behind or in any request, except where it must travel:
   * the Authorization header of the service it belongs to (GitHub: github-token and workflow-token), and the sealed
   * body of a secret PUT.
   */
  assertNoLeaks(): void {
    const kubiyaTokens = this.kubiya.keys().map((key) => key.token);
    const secrets = [...new Set([this.adminKey, ...this.otherSecrets, ...kubiyaTokens])];
    // Kubiya may see its own keys and whatever admin key a step was given; GitHub only the github-token given.
    const given = (input: string) => this.steps.map(({ result }) => result.inputs[input] ?? '').filter(Boolean);
    const known = new Set([...kubiyaTokens, ...given('admin-api-key')]);
    const githubTokens = new Set([...given('github-token'), ...given('workflow-token')]);
    const artifacts: Record<string, string> = {};
    this.steps.forEach(({ result, allow }, index) => {
      for (const [name, text] of Object.entries(stepArtifacts(result, { allow })))
        artifacts[`step${index + 1}-${result.entry}:${name}`] = text;
    });
    const kubiyaRequests = this.kubiya.requests.map((request) =>
      withoutCredential(request, (value) => known.has(/^UserKey (\S+)$/.exec(value)?.[1] ?? '')),
    );
    const githubRequests = this.github.requests.map((request) => {
      const clean = withoutCredential(request, (value) => githubTokens.has(/^(?:token|bearer) (\S+)$/i.exec(value)?.[1] ?? ''));
      return request.method === 'PUT' && /\/secrets\/[^/]+$/.test(request.path) ? { ...clean, body: '' } : clean;
    });
    for (const [name, text] of Object.entries(emulatorArtifacts(kubiyaRequests))) artifacts[`kubiya-${name}`] = text;
    for (const [name, text] of Object.entries(emulatorArtifacts(githubRequests))) artifacts[`github-${name}`] = text;
    for (const { label, requests } of this.foreignLogs) {
      for (const [name, text] of Object.entries(emulatorArtifacts(requests()))) artifacts[`${label}-${name}`] = text;
    }
    assertNoLeaks(secrets, artifacts);

    // The admin key, the GitHub token and check mode's api-key are masked before anything could print them, in every
    // step given them.
    for (const { result } of this.steps) {
      for (const input of ['admin-api-key', 'github-token', 'api-key']) {
        const value = result.inputs[input];
        if (value === undefined || value === '' || !secrets.includes(value)) continue;
        expect(isMaskedBeforeUse(result, value), `${input} masked before use in the ${result.entry} step`).toBe(true);
        expect(maskIndexOf(result, value), `the ${result.entry} step masks ${input} itself`).toBeGreaterThanOrEqual(0);
      }
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.kubiya.close(), this.github.close()]);
  }
}

/** The request without its Authorization header when `expected` says that credential belongs there. */
function withoutCredential(request: RequestRecord, expected: (authorization: string) => boolean): RequestRecord {
  const authorization = request.headers['authorization'];
  if (authorization === undefined || !expected(authorization)) return request;
  const { authorization: _dropped, ...headers } = request.headers;
  return { ...request, headers };
}

export function keyName(options: {
  runId: string;
  attempt?: number | string;
  scope?: string;
  secretName?: string;
  prefix?: string;
}): string {
  return `${options.prefix ?? 'gha'}:${options.scope ?? REPO}:${options.secretName ?? SECRET}:run-${options.runId}-${options.attempt ?? 1}`;
}

/** The prefix every managed key of a slot starts with. */
export function slotPrefix(options: { scope?: string; secretName?: string; prefix?: string } = {}): string {
  return `${options.prefix ?? 'gha'}:${options.scope ?? REPO}:${options.secretName ?? SECRET}:run-`;
}

/** `::error::`, `::warning::` … messages of a step, in order. */
export function annotations(result: StepResult, command: 'error' | 'warning' | 'notice'): string[] {
  return result.commands.filter((entry) => entry.command === command).map((entry) => entry.message);
}

/** The message the step failed with (its last `::error::`). */
export function failure(result: StepResult): string {
  const errors = annotations(result, 'error');
  expect(errors.length, `expected an ::error:: in:\n${result.stdout}`).toBeGreaterThan(0);
  return errors.at(-1)!;
}

export interface ResultEntry {
  target: string;
  secretName: string;
  keyId: string | null;
  keyName: string | null;
  expiresAt: string | null;
  status: string;
  revokedKeyIds: string[];
  error: string | null;
  /** present when keys of an overlapping run were kept by the in-flight window */
  inFlightKeyIds?: string[];
  /** present when a secret write's outcome is unknown */
  writeUnknown?: true;
}

export function results(result: StepResult): ResultEntry[] {
  const text = result.outputs['results'];
  expect(text, 'the results output').toBeDefined();
  return JSON.parse(text!) as ResultEntry[];
}

/** Epoch ms of an ISO timestamp, failing the test when it is not one. */
export function at(iso: string | null | undefined): number {
  const ms = Date.parse(iso ?? '');
  expect(Number.isNaN(ms), `${String(iso)} is a timestamp`).toBe(false);
  return ms;
}

/** For readable failures: the step's log when its exit code is not the expected one. */
export function expectExit(result: StepResult, code: number): void {
  expect(result.exitCode, `exit code; log:\n${result.stdout}\n${result.stderr}`).toBe(code);
}

/**
 * `it` with a fresh world per test. When the test ends the world checks that no credential leaked
 * (in any step it ran or any request the emulators saw) and closes the emulators.
 */
export const it = base.extend<{ world: World }>({
  // eslint-disable-next-line no-empty-pattern
  world: async ({}, use) => {
    const world = await World.start();
    try {
      await use(world);
      world.assertNoLeaks();
    } finally {
      await world.close();
    }
  },
});

/** How the job summary writes a time: to the minute, `2026-12-27 16:21 UTC`. */
export function summaryTime(iso: string | null | undefined): string {
  return `${new Date(at(iso)).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
