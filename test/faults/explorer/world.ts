// One interleaving's world: both emulators (never listening: every request is dispatched in-process), the
// slot acme/web's KUBIYA_API_KEY holding a key minted 7 days ago, and runs of the real rotation — rotate mode's parse,
// KubiyaClient, GitHubSecretStore over createOctokit, rotate() — wired to the scheduler's transports.
import { createOctokit } from '../../../src/github/client.ts';
import { GitHubSecretStore } from '../../../src/github/secrets.ts';
import { KubiyaClient } from '../../../src/kubiya/client.ts';
import type { SlotResult } from '../../../src/results.ts';
import { DEFAULT_RETRY } from '../../../src/retry.ts';
import { parse, rotate } from '../../../src/modes/rotate.ts';
import type { RunLog } from '../../../src/slot-run.ts';
import { errorMessage } from '../../../src/service-error.ts';
import { GitHubEmulator } from '../../sandbox/github-emulator.ts';
import { KubiyaEmulator, type KubiyaKey } from '../../sandbox/kubiya-emulator.ts';
import { mulberry32 } from '../../sandbox/http-emulator.ts';
import { REQUEST_TIMEOUT_MS, Scheduler, type Exchange } from './scheduler.ts';
import { transport } from './transports.ts';

export const DAY = 86_400_000;
export const W = 10 * 60_000;
export const REPO = 'acme/web';
export const SECRET = 'KUBIYA_API_KEY';
export const SLOT_PREFIX = `gha:${REPO}:${SECRET}:run-`;
const KUBIYA_URL = 'https://kubiya.test';
const GITHUB_URL = 'https://api.github.test';
const SECRET_PATH = `/repos/${REPO}/actions/secrets/${SECRET}`;

export interface RunSpec {
  label: string;
  runId: string;
  attempt: string;
  job: string;
}

export interface RunState {
  spec: RunSpec;
  done: boolean;
  results?: SlotResult[];
  /** rotate() threw: a harness error, never expected */
  crash?: string;
  log: string[];
}

/** A value the secret took: which key, written by which run's PUT, when (virtual ms). */
export interface SecretWrite {
  keyId: string | undefined;
  run: string;
  at: number;
}

/** plugin-throttling keeps its limiters per process, by id: each run gets fresh ones, as its own process would. */
let octokits = 0;

export class World {
  readonly kubiya = new KubiyaEmulator();
  readonly github = new GitHubEmulator();
  readonly scheduler: Scheduler;
  readonly adminKey: string;
  readonly githubToken = 'github_pat_explorer';
  readonly seeded: { id: string; token: string };
  readonly runs: RunState[] = [];
  readonly writes: SecretWrite[] = [];
  readonly #jitter: () => number;

  /** libsodium must be ready (GitHubEmulator seals and opens secrets). */
  constructor(seed: number, previousRun = '50-1') {
    this.kubiya.url = KUBIYA_URL;
    this.github.url = GITHUB_URL;
    this.scheduler = new Scheduler(seed, { kubiya: this.kubiya, github: this.github });
    this.#jitter = mulberry32(seed ^ 0x5bd1e995);
    this.adminKey = this.kubiya.addUser({ email: 'ci-bot@acme.dev', org: 'acme' }).apiKey;
    this.github.addRepo(REPO);
    this.github.addToken(this.githubToken, { kind: 'pat' });
    this.seeded = this.kubiya.seedKey({
      userEmail: 'ci-bot@acme.dev',
      name: `${SLOT_PREFIX}${previousRun}`,
      createdAt: new Date(Date.now() - 7 * DAY),
    });
    this.github.seedSecret({ repo: REPO }, SECRET, this.seeded.token);
    this.scheduler.onHandled = (exchange) => this.#recordWrite(exchange);
  }

  /** The key the secret holds now (undefined: no secret; a token Kubiya does not know: id undefined). */
  held(): { token: string; key: KubiyaKey | undefined } | undefined {
    const token = this.github.secretValue({ repo: REPO }, SECRET);
    return token === undefined ? undefined : { token, key: this.kubiya.keyByToken(token) };
  }

  /** Every key of the slot, the seeded one included. */
  slotKeys(): KubiyaKey[] {
    return this.kubiya.keys().filter((key) => key.name.startsWith(SLOT_PREFIX));
  }

  /** Starts a run of the real rotation after `delayMs` of virtual time. */
  start(spec: RunSpec, delayMs = 0): RunState {
    const state: RunState = { spec, done: false, log: [] };
    this.runs.push(state);
    const begin = (): void => {
      this.scheduler.note(`run ${spec.label} starts (run ${spec.runId} attempt ${spec.attempt}, job ${spec.job})`);
      this.#rotate(state)
        .then(
          (results) => {
            state.results = results;
          },
          (error: unknown) => {
            state.crash = errorMessage(error);
          },
        )
        .finally(() => {
          state.done = true;
          this.scheduler.version += 1;
          this.scheduler.note(`run ${spec.label} ends: ${summarize(state)}`);
        });
    };
    if (delayMs > 0) setTimeout(begin, delayMs);
    else begin();
    return state;
  }

  async #rotate(state: RunState): Promise<SlotResult[]> {
    const { spec } = state;
    const inputs: Record<string, string> = {
      'admin-api-key': this.adminKey,
      'kubiya-api-url': KUBIYA_URL,
      'github-token': this.githubToken,
      'github-api-url': GITHUB_URL,
      'grace-period': '0',
      ttl: '30d',
    };
    const env = {
      GITHUB_REPOSITORY: REPO,
      GITHUB_RUN_ID: spec.runId,
      GITHUB_RUN_ATTEMPT: spec.attempt,
      GITHUB_JOB: spec.job,
      GITHUB_SERVER_URL: 'https://github.com',
    };
    const config = parse((name) => inputs[name] ?? '', env);
    const retry = { ...DEFAULT_RETRY, random: this.#jitter };
    const keys = new KubiyaClient({
      baseUrl: config.kubiyaApiUrl,
      adminKey: config.adminApiKey,
      onSecret: () => {},
      timeoutMs: REQUEST_TIMEOUT_MS,
      retry,
      userAgent: 'kubiya-api-key-action/explorer',
      transport: transport(this.scheduler, spec.label, 'kubiya'),
    });
    const octokit = createOctokit({
      token: config.githubToken,
      baseUrl: config.githubApiUrl,
      timeoutMs: REQUEST_TIMEOUT_MS,
      retry,
      userAgent: 'kubiya-api-key-action/explorer',
      warn: (message) => state.log.push(`warning: ${message}`),
      transport: transport(this.scheduler, spec.label, 'github'),
      throttleId: `explorer-${++octokits}`,
    });
    const log: RunLog = {
      forSlot: () => ({
        info: (text) => state.log.push(text),
        warning: (text) => state.log.push(`warning: ${text}`),
        done: () => {},
      }),
    };
    return rotate(config, { keys, secrets: new GitHubSecretStore(octokit), log, now: () => new Date(), concurrency: 8 });
  }

  #recordWrite(exchange: Exchange): void {
    const { outcome, request } = exchange;
    if (request.method !== 'PUT' || exchange.path !== SECRET_PATH) return;
    // A write that took effect: answered 2xx, or handled as 2xx with its answer lost (dispatch logged it last).
    const stored =
      outcome?.kind === 'response'
        ? outcome.status < 300
        : outcome?.kind === 'lost' && /handled as 2\d\d/.test(this.github.requests.at(-1)?.fault ?? '');
    if (!stored) return;
    const held = this.held();
    this.writes.push({ keyId: held?.key?.id, run: exchange.run, at: Date.now() });
    this.scheduler.note(`secret now holds ${held?.key?.name ?? 'an unknown value'} (${held?.key?.id ?? '?'}), written by ${exchange.run}`);
  }
}

export function summarize(state: RunState): string {
  if (state.crash) return `crashed: ${state.crash}`;
  const result = state.results?.[0];
  if (!result) return 'no result';
  const inFlight = result.inFlightKeys?.length ? `, ${result.inFlightKeys.length} kept in flight` : '';
  const unknown = result.writeUnknown ? ', write unknown' : '';
  const error = result.error ? `: ${result.error}` : result.note ? `: ${result.note}` : '';
  return `${result.status} key ${result.keyId ?? '-'}${unknown}${inFlight}${error}`;
}
