/** The human report of a pack: a self-contained index.html. */
export { renderReport, renderModel, REPORT_CSP, type RenderedReport } from './render.js';
export { writeReport, type WrittenReport } from './write.js';
export { buildReportModel, modelForJson, readClaimedSignatures } from './model.js';
export { verifyCommands } from './commands.js';
export { compareManifests } from './changes.js';
export { summarizeArtifact, type SummarizeOptions } from './summarize/index.js';
export type * from './summarize/types.js';
export type * from './types.js';
export { openReportSource, pinReference, type ReportSource } from './source.js';
export { mergeSignatures, signaturesFromVerdict } from './signatures.js';
export { readReferenceSignatureClaims, readRegistrySignatureClaims } from './registry-signatures.js';
