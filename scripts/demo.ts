// npm run demo: two rotations of acme/web's KUBIYA_API_KEY against the local emulators, run as the
// Actions runner runs the built action, a week apart as a weekly schedule runs them: between the two, the
// emulator's clock moves on seven days, and the second rotation revokes the key the first one minted. (Two
// rotations seconds apart would keep it: a key minted minutes ago may still be on its way into the secret.)
import { useFreshAction } from '../test/sandbox/action-bundle.ts';
import { maskedLog } from '../test/sandbox/runner.ts';
import { startSandbox } from '../test/sandbox/sandbox.ts';

const progress = (line: string) => console.error(`demo: ${line}`);
await useFreshAction(progress);
progress('starting the Kubiya and GitHub emulators');
const sandbox = await startSandbox();
const { kubiya, github } = sandbox;
const show = (title: string, text: string) =>
  console.log(`\n\x1b[1m── ${title} ${'─'.repeat(Math.max(0, 70 - title.length))}\x1b[0m\n${text.trimEnd()}`);

try {
  show('Kubiya emulator', `${kubiya.url}  (admin: ci-bot@acme.test)`);
  show('GitHub emulator', `${github.url}  (repository acme/web; a fine-grained token with "Secrets: Read and write")`);

  for (const runId of ['1001', '1002']) {
    if (runId === '1002') {
      kubiya.passTime(7 * 86_400_000);
      show('A week later', "The emulator's clock moves on seven days, as between two runs of a weekly schedule.");
    }
    progress(`run ${runId}: the action's main and post steps, as the runner runs them`);
    const { main } = await sandbox.run({ runId, inputs: { ttl: '30d' } });
    show(`Run ${runId}: the step log as the Actions UI shows it (exit ${main.exitCode})`, maskedLog(main));
    show(`Run ${runId}: job summary`, main.summary);
  }

  const secret = github.secretValue({ repo: 'acme/web' }, 'KUBIYA_API_KEY');
  const holder = kubiya.keys().find((key) => key.token === secret);
  show(
    'What Kubiya holds now',
    kubiya
      .keys()
      .map((key) => {
        const state = key.revoked_at ? 'revoked' : kubiya.isValid(key.token) ? 'valid  ' : 'expired';
        return `${state}  ${key.name.padEnd(42)}  id ${key.id}  expires ${key.expires_at}${key === holder ? '   ← in the secret' : ''}`;
      })
      .join('\n'),
  );
  show(
    'What GitHub holds now',
    `acme/web  KUBIYA_API_KEY  updated ${github.secretMeta({ repo: 'acme/web' }, 'KUBIYA_API_KEY')?.updated_at}\n` +
      `The sealed value decrypts (with the emulator's private key) to the key ${holder?.name} — ` +
      `${holder && kubiya.isValid(holder.token) ? 'Kubiya accepts it' : 'NOT a working key'}.`,
  );
} finally {
  await sandbox.close();
}
