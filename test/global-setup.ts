// vitest globalSetup: the e2e and fault suites run the action as the runner does — from a bundle. That bundle
// is built from the current src/ before any test starts (test/sandbox/action-bundle.ts), never the committed
// dist/, which may be older than the source; check-dist is what compares the committed dist/ to the source.
import { useFreshAction } from './sandbox/action-bundle.ts';

export default async function setup(): Promise<void> {
  await useFreshAction((line) => console.log(line));
}
