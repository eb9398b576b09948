// Every mode's input parser behind one call, for tests that parse inputs of several modes (main.ts picks the mode
// the same way).
import { InputError, type Inputs } from '../src/inputs.ts';
import * as audit from '../src/modes/audit.ts';
import * as check from '../src/modes/check.ts';
import * as mint from '../src/modes/mint.ts';
import * as revoke from '../src/modes/revoke.ts';
import * as rotate from '../src/modes/rotate.ts';

export type Config = rotate.RotateConfig | mint.MintConfig | revoke.RevokeConfig | audit.AuditConfig | check.CheckConfig;

export function parseConfig(input: Inputs, env: NodeJS.ProcessEnv): Config {
  const mode = input('mode') || 'rotate';
  switch (mode) {
    case 'rotate':
      return rotate.parse(input, env);
    case 'mint':
      return mint.parse(input, env);
    case 'revoke':
      return revoke.parse(input, env);
    case 'audit':
      return audit.parse(input, env);
    case 'check':
      return check.parse(input, env);
    default:
      throw new InputError(`Input 'mode' must be one of rotate, mint, revoke, audit, check (got '${mode}').`);
  }
}
