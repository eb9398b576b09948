import * as core from '@actions/core';
import sodium from 'libsodium-wrappers';
import { hello } from './a.ts';
await sodium.ready;
core.info(hello('x') + sodium.crypto_box_SEALBYTES);
