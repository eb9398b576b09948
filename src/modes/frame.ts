// The start every mode on managed keys shares, and the end of rotate, mint and revoke (audit reports findings too).
import type { GitLabInputs, KeyInputs } from '../inputs.ts';
import { reportFailures, setResultOutputs, type SlotResult } from '../results.ts';
import { RunFooting } from '../run-footing.ts';
import type { Runner } from '../runner.ts';
import { gitLabTokenFor, kubiyaFor } from '../services.ts';
import { renderSummary, type SummaryOptions } from '../summary.ts';

/** The run's footing, the GitLab token's expiry asked for at once, and Kubiya's client, whose key lists it remembers. */
export function startRun(config: KeyInputs & { githubToken?: string; gitlab?: GitLabInputs }, runner: Runner) {
  const footing = new RunFooting(config);
  footing.watchGitLabToken(gitLabTokenFor(config, runner));
  return { footing, keys: footing.keys(kubiyaFor(config, runner)) };
}

/** The results as outputs and summary, the footing's report, then the step failed for each failed target. */
export async function finishRun(runner: Runner, footing: RunFooting, results: SlotResult[], summary: SummaryOptions): Promise<void> {
  setResultOutputs(runner, results);
  await runner.summary(renderSummary(results, summary));
  await footing.report(runner);
  reportFailures(runner, results);
}
