// What the fault suites share: fresh worlds (test/e2e/world.ts, with its leak scan), the requests of a
// clean rotation in global order across both emulators, a fault aimed at the k-th of them, and the
// spec's invariant ("nothing lost, nothing leaked") checked after a run, as a list of violations.
import { DAY, KEYS_PATH, KEY_PATH, SECRET, SELF_PATH, World, annotations } from '../e2e/world.ts';
import type { ResultEntry } from '../e2e/world.ts';
import type { GitHubEmulator, GitHubEmulatorOptions } from '../sandbox/github-emulator.ts';
import type { EmulatedRequest, EmulatedResponse, Fault, HttpEmulator, RequestRecord } from '../sandbox/http-emulator.ts';
import type { KubiyaEmulator, KubiyaEmulatorOptions } from '../sandbox/kubiya-emulator.ts';
import type { StepResult } from '../sandbox/runner.ts';

/** A response that never comes is given up on after 1 s (not less: a loaded CI machine must not time out an answered request); retries back off from 5 ms. */
export const FAST_TIMEOUTS = { KUBIYA_ACTION_REQUEST_TIMEOUT_MS: '1000', KUBIYA_ACTION_RETRY_BASE_MS: '5' };

// ---- worlds ---------------------------------------------------------------------------------

/**
 * `fn` in a fresh world, then the closing checks test/e2e's `it` runs: the leak scan over every step
 * and both emulators' request logs (throws on a leak), and closing the emulators.
 */
export async function withWorld<T>(
  fn: (world: World) => Promise<T>,
  options: { kubiya?: KubiyaEmulatorOptions; github?: GitHubEmulatorOptions } = {},
): Promise<T> {
  const world = await World.start(options.kubiya, options.github);
  try {
    const value = await fn(world);
    world.assertNoLeaks();
    return value;
  } finally {
    await world.close();
  }
}

/**
 * Puts `around` between an emulator and its handler: it sees each request (after its body was read and any
 * latency waited) and decides when — and whether — the handler runs, and what is answered.
 */
export function intercept(
  emulator: KubiyaEmulator | GitHubEmulator,
  around: (request: EmulatedRequest, handle: () => Promise<EmulatedResponse>) => Promise<EmulatedResponse>,
): void {
  // `handle` is the emulators' protected hook; an own property shadows it for this instance only.
  const hooked = emulator as unknown as { handle(request: EmulatedRequest): EmulatedResponse | Promise<EmulatedResponse> };
  const original = hooked.handle.bind(emulator);
  hooked.handle = (request) => around(request, async () => original(request));
}

/** Rewrites an emulator's answers after its handler ran (the request took effect; only the answer changes). */
export function tamper(
  emulator: KubiyaEmulator | GitHubEmulator,
  edit: (request: EmulatedRequest, response: EmulatedResponse) => EmulatedResponse | undefined,
): void {
  intercept(emulator, async (request, handle) => {
    const response = await handle();
    return edit(request, response) ?? response;
  });
}

// ---- the rotation under test ----------------------------------------------------------------

export interface Scenario {
  name: string;
  /** owner/repo of every target */
  repos: readonly string[];
  /** the `repositories` input; unset = the current repository (acme/web) */
  repositoriesInput?: string;
}

export const ONE_REPOSITORY: Scenario = { name: 'one repository', repos: ['acme/web'] };
export const THREE_REPOSITORIES: Scenario = {
  name: 'three repositories',
  repos: ['acme/web', 'acme/api', 'acme/tools'],
  repositoriesInput: 'web, api, tools',
};

export interface PreviousKey {
  id: string;
  token: string;
  name: string;
}

/** A world set up for one rotation: each target's secret holds the key an earlier run minted. */
export interface Stage {
  world: World;
  scenario: Scenario;
  previous: Map<string, PreviousKey>;
  /** the run id of the rotation under test */
  runId: string;
}

export function stage(world: World, scenario: Scenario): Stage {
  const previous = new Map<string, PreviousKey>();
  for (const repo of scenario.repos) {
    if (!world.github.repoByName(repo)) world.github.addRepo(repo);
    const key = world.seedManagedKey({ runId: world.runId(), scope: repo, createdAt: new Date(Date.now() - DAY) });
    world.github.seedSecret({ repo }, SECRET, key.token);
    previous.set(repo, key);
  }
  return { world, scenario, previous, runId: world.runId() };
}

export function rotateOnce(
  { world, scenario, runId }: Stage,
  options: { env?: Record<string, string | undefined>; inputs?: Record<string, string> } = {},
): Promise<StepResult> {
  return world.run({
    github: { runId },
    inputs: { ...(scenario.repositoriesInput ? { repositories: scenario.repositoriesInput } : {}), ...options.inputs },
    env: { ...FAST_TIMEOUTS, ...options.env },
  });
}

// ---- the requests of a clean rotation -------------------------------------------------------

/** What a request of a rotation is for (the step its failure must be reported as). */
export type Role = 'admin check' | 'key list' | 'public key' | 'mint' | 'verify' | 're-list' | 'secret write' | 'revocation';

export interface Position {
  /** 1-based place in the global order of the clean rotation's requests (both emulators) */
  k: number;
  emulator: 'kubiya' | 'github';
  method: string;
  role: Role;
  /** the target the request is for, when it can be told (`acme/web`) */
  repo: string | undefined;
  /** how to find the same request in a fresh world: path (or the previous key of `repo`) and occurrence */
  path: string;
  previousKeyOf: string | undefined;
  /** 1-based occurrence among the requests of this emulator with the same method and path */
  nth: number;
}

export interface Recording {
  scenario: Scenario;
  positions: Position[];
}

/** The scope field of a managed key name (`gha:acme/web:KUBIYA_API_KEY:run-1-1` → `acme/web`). */
function scopeOf(name: string | undefined): string | undefined {
  return name?.split(':')[1];
}

/** Runs a clean rotation and lists its requests in the order they arrived at either emulator. */
export async function recordCleanRotation(scenario: Scenario): Promise<Recording> {
  return withWorld(async (world) => {
    const staged = stage(world, scenario);
    const step = await rotateOnce(staged);
    const violations = checkRotation(staged, step);
    if (step.exitCode !== 0 || violations.length > 0) {
      throw new Error(`the clean rotation failed (exit ${step.exitCode}): ${violations.join('; ')}\n${step.stdout}`);
    }
    const previousIds = new Map([...staged.previous].map(([repo, key]) => [key.id, repo]));
    const merged = [
      ...world.kubiya.requests.map((request) => ({ emulator: 'kubiya' as const, request })),
      ...world.github.requests.map((request) => ({ emulator: 'github' as const, request })),
    ].sort((a, b) => a.request.startedAt - b.request.startedAt);
    const seen = new Map<string, number>();
    const positions = merged.map(({ emulator, request }, index): Position => {
      const { role, repo, previousKeyOf } = describeRequest(world, emulator, request, previousIds, seen);
      const identity = `${emulator} ${request.method} ${previousKeyOf ? `previous:${previousKeyOf}` : request.path}`;
      const nth = (seen.get(identity) ?? 0) + 1;
      seen.set(identity, nth);
      return { k: index + 1, emulator, method: request.method, role, repo, path: request.path, previousKeyOf, nth };
    });
    return { scenario, positions };
  });
}

function describeRequest(
  world: World,
  emulator: 'kubiya' | 'github',
  request: RequestRecord,
  previousIds: Map<string, string>,
  seen: Map<string, number>,
): { role: Role; repo: string | undefined; previousKeyOf?: string } {
  const { method, path } = request;
  if (emulator === 'github') {
    const repo = /^\/repos\/([^/]+\/[^/]+)\//.exec(path)?.[1];
    if (method === 'GET' && path.endsWith('/public-key')) return { role: 'public key', repo };
    if (method === 'PUT') return { role: 'secret write', repo };
    throw new Error(`unexpected GitHub request in a clean rotation: ${method} ${path}`);
  }
  if (method === 'GET' && path === SELF_PATH) {
    const token = /^UserKey (\S+)$/.exec(request.headers['authorization'] ?? '')?.[1] ?? '';
    if (token === world.adminKey) return { role: 'admin check', repo: undefined };
    return { role: 'verify', repo: scopeOf(world.kubiya.keyByToken(token)?.name) };
  }
  if (method === 'GET' && path === KEYS_PATH) {
    return { role: seen.has(`kubiya GET ${KEYS_PATH}`) ? 're-list' : 'key list', repo: undefined };
  }
  if (method === 'POST' && path === KEYS_PATH) {
    return { role: 'mint', repo: scopeOf((JSON.parse(request.body) as { name?: string }).name) };
  }
  if (method === 'DELETE' && KEY_PATH.test(path)) {
    const id = decodeURIComponent(path.slice(KEYS_PATH.length + 1));
    const previousKeyOf = previousIds.get(id);
    return { role: 'revocation', repo: previousKeyOf ?? scopeOf(world.kubiya.keyById(id)?.name), previousKeyOf };
  }
  throw new Error(`unexpected Kubiya request in a clean rotation: ${method} ${path}`);
}

export function describePosition(position: Position, total?: number): string {
  const where = position.repo ? ` (${position.repo})` : '';
  const k = total === undefined ? `#${position.k}` : `${position.k}/${total}`;
  return `${k} ${position.emulator} ${position.method} ${position.role}${where}`;
}

// ---- faults aimed at one request ------------------------------------------------------------

export type FaultSpec = Omit<Fault, 'method' | 'path' | 'nth'>;

/**
 * Injects `fault` at the request of a fresh stage that corresponds to `position`: the same emulator,
 * method and path (a revocation: of the same target's previous key) and the same occurrence. With
 * `times: Infinity` that request and every later one to the same endpoint get it (an outage of the
 * endpoint from then on: its retries, and on Kubiya the same call for other targets too).
 */
export function injectAt(staged: Stage, position: Position, fault: FaultSpec | FaultSpec[]): void {
  const emulator: HttpEmulator = staged.world[position.emulator];
  const previous = position.previousKeyOf ? staged.previous.get(position.previousKeyOf) : undefined;
  const path = previous ? `${KEYS_PATH}/${encodeURIComponent(previous.id)}` : position.path;
  // A sequence: the i-th fault from the i-th try on (each earlier one, having fired, is gone by then).
  [fault].flat().forEach((each, index) => emulator.injectFault({ ...each, method: position.method, path, nth: position.nth + index }));
}

/** The requests of a fresh stage's run that correspond to `position` and its retries (same emulator, method, path). */
export function requestsAt(staged: Stage, position: Position): RequestRecord[] {
  const previous = position.previousKeyOf ? staged.previous.get(position.previousKeyOf) : undefined;
  const path = previous ? `${KEYS_PATH}/${encodeURIComponent(previous.id)}` : position.path;
  return staged.world[position.emulator].matching(position.method, path).slice(position.nth - 1);
}

// ---- the invariant --------------------------------------------------------------------------

/** What the failure of each request must be reported as (spec: messages say what failed). */
const STEP_NAMED: Record<Role, RegExp> = {
  'admin check': /admin-api-key/,
  'key list': /key list|listing API keys/,
  'public key': /public key/,
  mint: /\bmint: /,
  verify: /\bverify: /,
  're-list': /\blist: /,
  'secret write': /\bsecret write: /,
  revocation: /\brevocation: /,
};

export function readResults(step: StepResult): ResultEntry[] | undefined {
  const text = step.outputs['results'];
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as ResultEntry[];
  } catch {
    return undefined;
  }
}

export interface CheckOptions {
  /** the request a fault was aimed at: failures must name its step */
  faultAt?: Position;
  /** the target whose PUT got no answer: its new key may be left live, unheld (the spec's one exception) */
  unknownPutOf?: string;
}

/**
 * The spec's invariant after a rotation, as violations (empty: it held):
 * (a) each target secret holds a valid key (the new one, or the previous one still valid);
 * (b) each key the run minted is in its secret or revoked — except after a PUT with no answer;
 * (c) exit 0 exactly when every target completed (the secret holds the new key, the superseded key is revoked);
 * (d) each failed target's error names the failed step, and the step's error annotation does too.
 */
export function checkRotation(staged: Stage, step: StepResult, options: CheckOptions = {}): string[] {
  const { world, previous, runId } = staged;
  const violations: string[] = [];
  const results = readResults(step);
  if (!results) return [`no readable results output (exit ${step.exitCode}): ${annotations(step, 'error').join(' | ')}`];
  let completed = true;
  for (const [repo, previousKey] of previous) {
    const stored = world.secret(SECRET, repo);
    const held = stored === undefined ? undefined : world.kubiya.keyByToken(stored);
    if (!held || !world.kubiya.isValid(stored!)) {
      const what = !held ? 'no key Kubiya knows' : held.id === previousKey.id ? 'the previous key, revoked' : `key ${held.name}, revoked`;
      violations.push(`(a) ${repo}: the secret holds ${what}`);
    }
    const minted = world.keysOfRun(runId, { scope: repo });
    for (const key of minted) {
      if (key.token === stored || key.revoked_at !== null) continue;
      if (options.unknownPutOf === repo) continue;
      violations.push(`(b) ${repo}: minted key ${key.id} is neither in the secret nor revoked`);
    }
    const result = results.find((entry) => entry.target === repo);
    if (!result) {
      violations.push(`${repo}: no result`);
      completed = false;
      continue;
    }
    if (result.status === 'rotated') {
      const rotatedTo = minted.find((key) => key.id === result.keyId);
      if (!rotatedTo || rotatedTo.token !== stored) violations.push(`(c) ${repo}: reported rotated, but the secret does not hold its key`);
      if (world.keyValid(previousKey.id)) violations.push(`(c) ${repo}: reported rotated, but the superseded key is still valid`);
      const live = minted.filter((key) => world.keyValid(key.id));
      if (live.length !== 1) violations.push(`(c) ${repo}: ${live.length} live keys minted by the run, expected 1`);
    } else {
      completed = false;
      if (result.status !== 'failed') violations.push(`${repo}: status ${result.status} with no newer run around`);
      if (options.unknownPutOf === repo && (!/neither/.test(result.error ?? '') || result.writeUnknown !== true)) {
        violations.push(`(d) ${repo}: a PUT with no answer is not reported as such: ${result.error}`);
      }
      const named = options.faultAt ? STEP_NAMED[options.faultAt.role] : undefined;
      if (named && !named.test(result.error ?? '')) {
        violations.push(`(d) ${repo}: the error does not name the failed step (${options.faultAt!.role}): ${result.error}`);
      }
      if (named && !annotations(step, 'error').some((message) => message.includes(repo) && named.test(message))) {
        violations.push(`(d) ${repo}: no error annotation names the failed step (${options.faultAt!.role})`);
      }
    }
  }
  const expectedExit = completed ? 0 : 1;
  if (step.exitCode !== expectedExit) {
    violations.push(`(c) exit ${step.exitCode}, expected ${expectedExit} (${completed ? 'every target completed' : 'a target failed'})`);
  }
  return violations;
}
