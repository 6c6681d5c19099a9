export { createDsseBundle, createStatementBundle, statementBytes } from './dsse.js';
export type { DsseBundleOptions } from './dsse.js';
