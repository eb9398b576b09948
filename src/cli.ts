// Entry of the command line (dist/cli.js, the package's `kubiya-api-key` bin).
import { readFile } from 'node:fs/promises';
import { runCommand } from './cli/main.ts';

const version = await readFile(new URL('../package.json', import.meta.url), 'utf8').then(
  (text) => (JSON.parse(text) as { version?: string }).version ?? 'unknown',
  () => 'unknown',
);
process.exitCode = await runCommand(process.argv.slice(2), process.env, version);
