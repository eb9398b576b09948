// The post step. Only mint mode has work here (revoking the job's key): nothing of the main step is loaded.
import { post } from './modes/mint.ts';
import { actionsRunner } from './runner.ts';

export async function run(runner = actionsRunner()): Promise<void> {
  await post(runner);
}
