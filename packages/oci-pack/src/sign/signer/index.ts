export { KeySigner, keyFingerprint, keyHint } from './key.js';
export type { KeySignerOptions } from './key.js';
export { DEFAULT_FULCIO_URL, keylessSigner } from './fulcio.js';
export type { KeylessSignerOptions } from './fulcio.js';
