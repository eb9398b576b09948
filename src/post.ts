// Entry of the post step.
import { runPost } from './post-step.ts';

await runPost();
