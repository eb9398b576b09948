// Entry of the main step.
import { run } from './main.ts';

await run();
