export * from './mapping.js';
export * from './push.js';
export * from './pull.js';
export * from './remote-pack.js';
export * from './remotes.js';
export * from './destination.js';
export * from './transfer.js';
export * from './source-ref.js';
