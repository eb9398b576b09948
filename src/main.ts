// The main step: mask the credentials, find the mode, run it. Each mode (src/modes/) parses its own inputs, runs,
// and sets its outputs and summary.
import { InputError } from './inputs.ts';
import * as audit from './modes/audit.ts';
import * as check from './modes/check.ts';
import * as mint from './modes/mint.ts';
import * as revoke from './modes/revoke.ts';
import * as rotate from './modes/rotate.ts';
import { actionsRunner, type Runner } from './runner.ts';
import { errorMessage } from './service-error.ts';

const MODES: Record<string, { run(runner: Runner): Promise<void> }> = { rotate, mint, revoke, audit, check };

export async function run(runner: Runner = actionsRunner()): Promise<void> {
  // Masked before anything else happens (the post step does the same).
  for (const name of ['admin-api-key', 'github-token', 'api-key', 'workflow-token']) {
    const value = runner.input(name);
    if (value) runner.mask(value);
  }
  try {
    const mode = runner.input('mode') || 'rotate';
    const unit = Object.hasOwn(MODES, mode) ? MODES[mode] : undefined;
    if (!unit) throw new InputError(`Input 'mode' must be one of ${Object.keys(MODES).join(', ')} (got '${mode}').`);
    await unit.run(runner);
  } catch (error) {
    runner.fail(errorMessage(error));
  }
}
