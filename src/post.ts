// Entry of the post step.
import { run } from './post-step.ts';

await run();
