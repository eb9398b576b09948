// Both emulators, seeded the way the demo and the benchmarks need: an admin service account in
// Kubiya, repositories in GitHub, a token that can write their secrets, and a way to run the action.
import { startGitHubEmulator, type GitHubEmulator, type GitHubEmulatorOptions } from './github-emulator.ts';
import { startKubiyaEmulator, type KubiyaEmulator, type KubiyaEmulatorOptions } from './kubiya-emulator.ts';
import { runJob, type JobResult, type RunJobOptions } from './runner.ts';

export const GITHUB_TOKEN = 'github_pat_11SANDBOX0000000000000000000000000000000000';

export interface Sandbox {
  kubiya: KubiyaEmulator;
  github: GitHubEmulator;
  adminKey: string;
  githubToken: string;
  /** Runs the action's main and post steps against the emulators; `inputs` add to the sandbox's. */
  run(options?: RunJobOptions & { runId?: string }): Promise<JobResult>;
  close(): Promise<void>;
}

export async function startSandbox(
  options: { repositories?: string[]; kubiya?: KubiyaEmulatorOptions; github?: GitHubEmulatorOptions } = {},
): Promise<Sandbox> {
  const kubiya = await startKubiyaEmulator(options.kubiya);
  const github = await startGitHubEmulator(options.github);
  const adminKey = kubiya.addUser({ email: 'ci-bot@acme.test', org: 'acme', name: 'CI service account' }).apiKey;
  for (const repo of options.repositories ?? ['acme/web']) github.addRepo(repo);
  github.addToken(GITHUB_TOKEN, { kind: 'pat' });
  return {
    kubiya,
    github,
    adminKey,
    githubToken: GITHUB_TOKEN,
    run: ({ runId, ...job } = {}) =>
      runJob({
        ...job,
        inputs: {
          'admin-api-key': adminKey,
          'github-token': GITHUB_TOKEN,
          'kubiya-api-url': kubiya.url,
          'github-api-url': github.url,
          ...job.inputs,
        },
        github: { runId: runId ?? '9876543210', ...job.github },
        masks: [adminKey, GITHUB_TOKEN, ...(job.masks ?? [])],
      }),
    close: async () => {
      await Promise.all([kubiya.close(), github.close()]);
    },
  };
}
