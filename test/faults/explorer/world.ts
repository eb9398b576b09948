// One interleaving's world: the emulators (never listening: every request is dispatched in-process), the
// slot acme/web's KUBIYA_API_KEY holding a key minted 7 days ago, and runs of the real rotation — rotate mode's parse,
// KubiyaClient, the store (GitHubSecretStore over createOctokit, or the GitLab CI/CD variable store over its own
// client), rotate() — wired to the scheduler's transports.
import { createOctokit } from '../../../src/github/client.ts';
import { GitHubSecretStore } from '../../../src/github/secrets.ts';
import { gitLabVariableStore } from '../../../src/gitlab/variables.ts';
import { KubiyaClient } from '../../../src/kubiya/client.ts';
import type { SlotResult } from '../../../src/results.ts';
import type { SecretStore } from '../../../src/secret-store.ts';
import { DEFAULT_RETRY } from '../../../src/retry.ts';
import { parse, rotate, type RotateConfig } from '../../../src/modes/rotate.ts';
import type { RunLog } from '../../../src/slot-run.ts';
import { errorMessage } from '../../../src/service-error.ts';
import { GitHubEmulator } from '../../sandbox/github-emulator.ts';
import { GitLabEmulator } from '../../sandbox/gitlab-emulator.ts';
import { KubiyaEmulator, type KubiyaKey } from '../../sandbox/kubiya-emulator.ts';
import { mulberry32 } from '../../sandbox/http-emulator.ts';
import { RunnerPauses, type Runner } from './pauses.ts';
import { REQUEST_TIMEOUT_MS, Scheduler, type Exchange } from './scheduler.ts';
import { transport } from './transports.ts';

export const DAY = 86_400_000;
export const W = 10 * 60_000;
export const REPO = 'acme/web';
export const SECRET = 'KUBIYA_API_KEY';
const KUBIYA_URL = 'https://kubiya.test';
const GITHUB_URL = 'https://api.github.test';
const GITLAB_URL = 'https://gitlab.test';

/** Where the runs keep the key: a GitHub repository secret, or a GitLab project's CI/CD variable (scope `*`). */
export type Store = 'github' | 'gitlab';

/** Each store's slot: the prefix of its keys' names, and the path a write of its value is sent to. */
const SLOT: Record<Store, { prefix: string; writes: RegExp }> = {
  github: { prefix: `gha:${REPO}:${SECRET}:run-`, writes: new RegExp(`^/repos/${REPO}/actions/secrets/${SECRET}$`) },
  gitlab: {
    prefix: `gl:gitlab.test/${REPO}:${SECRET}:run-`,
    writes: new RegExp(`^/api/v4/projects/${encodeURIComponent(REPO)}/variables(/${SECRET})?$`),
  },
};

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
  readonly gitlab = new GitLabEmulator();
  readonly scheduler: Scheduler;
  readonly adminKey: string;
  readonly githubToken = 'github_pat_explorer';
  readonly gitlabToken = 'glpat-explorer-maintainer-0001';
  readonly store: Store;
  readonly slotPrefix: string;
  readonly seeded: { id: string; token: string };
  readonly runs: RunState[] = [];
  readonly writes: SecretWrite[] = [];
  readonly #jitter: () => number;
  readonly #pauses: RunnerPauses;

  /** libsodium must be ready (GitHubEmulator seals and opens secrets). A run's runner may pause (pauses.ts). */
  constructor(seed: number, previousRun = '50-1', store: Store = 'github') {
    this.store = store;
    this.slotPrefix = SLOT[store].prefix;
    this.kubiya.url = KUBIYA_URL;
    this.github.url = GITHUB_URL;
    this.gitlab.url = GITLAB_URL;
    this.scheduler = new Scheduler(seed, { kubiya: this.kubiya, github: this.github, gitlab: this.gitlab });
    this.#jitter = mulberry32(seed ^ 0x5bd1e995);
    this.#pauses = new RunnerPauses(this.scheduler, mulberry32(seed ^ 0x27d4eb2f));
    this.adminKey = this.kubiya.addUser({ email: 'ci-bot@acme.dev', org: 'acme' }).apiKey;
    this.seeded = this.kubiya.seedKey({
      userEmail: 'ci-bot@acme.dev',
      name: `${this.slotPrefix}${previousRun}`,
      createdAt: new Date(Date.now() - 7 * DAY),
    });
    if (store === 'github') {
      this.github.addRepo(REPO);
      this.github.addToken(this.githubToken, { kind: 'pat' });
      this.github.seedSecret({ repo: REPO }, SECRET, this.seeded.token);
    } else {
      this.gitlab.addProject(REPO);
      this.gitlab.addToken(this.gitlabToken, { kind: 'project', roles: { [REPO]: 'maintainer' } });
      this.gitlab.seedVariable({ project: REPO }, { key: SECRET, value: this.seeded.token, masked: true, protected: true, raw: true });
    }
    this.scheduler.onHandled = (exchange) => this.#recordWrite(exchange);
  }

  /** The key the secret (or variable) holds now (undefined: none; a token Kubiya does not know: id undefined). */
  held(): { token: string; key: KubiyaKey | undefined } | undefined {
    const token =
      this.store === 'github' ? this.github.secretValue({ repo: REPO }, SECRET) : this.gitlab.variable({ project: REPO }, SECRET)?.value;
    return token === undefined ? undefined : { token, key: this.kubiya.keyByToken(token) };
  }

  /** Every key of the slot, the seeded one included. */
  slotKeys(): KubiyaKey[] {
    return this.kubiya.keys().filter((key) => key.name.startsWith(this.slotPrefix));
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

  /** Rotate mode's inputs and environment for a run of `spec` (a GitLab run: pipeline runId, job attempt). */
  #inputs(spec: RunSpec): { inputs: Record<string, string>; env: NodeJS.ProcessEnv } {
    const common = { 'admin-api-key': this.adminKey, 'kubiya-api-url': KUBIYA_URL, 'grace-period': '0', ttl: '30d' };
    if (this.store === 'gitlab') {
      return {
        inputs: { ...common, store: 'gitlab', 'gitlab-url': GITLAB_URL, 'gitlab-token': this.gitlabToken, projects: REPO },
        env: { GITLAB_CI: 'true', CI_PROJECT_PATH: REPO, CI_PIPELINE_ID: spec.runId, CI_JOB_ID: spec.attempt, CI_JOB_NAME: spec.job },
      };
    }
    return {
      inputs: { ...common, 'github-token': this.githubToken, 'github-api-url': GITHUB_URL },
      env: {
        GITHUB_REPOSITORY: REPO,
        GITHUB_RUN_ID: spec.runId,
        GITHUB_RUN_ATTEMPT: spec.attempt,
        GITHUB_JOB: spec.job,
        GITHUB_SERVER_URL: 'https://github.com',
      },
    };
  }

  async #rotate(state: RunState): Promise<SlotResult[]> {
    const { spec } = state;
    const { inputs, env } = this.#inputs(spec);
    const config = parse((name) => inputs[name] ?? '', env);
    const runner = this.#pauses.runner(spec.label);
    // A paused runner's waits: the clients' backoffs (each client's, GitHub's included, are its retry policy's sleep) and the re-list delay.
    const sleep = runner?.sleep;
    const retry = { ...DEFAULT_RETRY, random: this.#jitter, ...(sleep && { sleep }) };
    const keys = new KubiyaClient({
      baseUrl: config.kubiyaApiUrl,
      adminKey: config.adminApiKey,
      onSecret: () => {},
      timeoutMs: REQUEST_TIMEOUT_MS,
      retry,
      userAgent: 'kubiya-api-key-action/explorer',
      transport: transport(this.scheduler, spec.label, 'kubiya', runner),
    });
    const log: RunLog = {
      forSlot: () => ({
        info: (text) => state.log.push(text),
        warning: (text) => state.log.push(`warning: ${text}`),
        done: () => {},
      }),
    };
    const secrets = this.#secrets(config, state, retry, runner);
    return rotate(config, { keys, secrets, log, now: () => new Date(), ...(sleep && { sleep }) });
  }

  /** The run's store over its own client, wired to the scheduler like the Kubiya client. */
  #secrets(config: RotateConfig, state: RunState, retry: typeof DEFAULT_RETRY, runner: Runner | undefined): SecretStore<unknown> {
    const settings = { timeoutMs: REQUEST_TIMEOUT_MS, retry, userAgent: 'kubiya-api-key-action/explorer' };
    if (this.store === 'gitlab') {
      const http = { ...settings, apiUrl: config.gitlab!.apiUrl, token: config.gitlab!.token };
      const description = `Kubiya API key, rotated by the explorer's run ${state.spec.label}`;
      return gitLabVariableStore(
        { ...http, transport: transport(this.scheduler, state.spec.label, 'gitlab', runner) },
        { protectedOnCreate: true, hiddenOnCreate: false, description },
      );
    }
    const octokit = createOctokit({
      ...settings,
      token: config.githubToken,
      baseUrl: config.githubApiUrl,
      warn: (message) => state.log.push(`warning: ${message}`),
      transport: transport(this.scheduler, state.spec.label, 'github', runner),
      throttleId: `explorer-${++octokits}`,
    });
    return new GitHubSecretStore(octokit);
  }

  #recordWrite(exchange: Exchange): void {
    const { outcome, request } = exchange;
    const write = this.store === 'github' ? request.method === 'PUT' : request.method === 'PUT' || request.method === 'POST';
    if (!write || exchange.server !== this.store || !SLOT[this.store].writes.test(exchange.path)) return;
    // A write that took effect: answered 2xx, or handled as 2xx with its answer lost (dispatch logged it last).
    const stored =
      outcome?.kind === 'response'
        ? outcome.status < 300
        : outcome?.kind === 'lost' && /handled as 2\d\d/.test(this[this.store].requests.at(-1)?.fault ?? '');
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
