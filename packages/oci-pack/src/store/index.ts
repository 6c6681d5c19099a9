export * from './types.js';
export { MemoryStore } from './memory.js';
export { OciLayoutStore, OCI_LAYOUT_FILE, OCI_LAYOUT_VERSION, type OciLayoutOptions, type GcOptions, type GcResult } from './oci-layout.js';
export { copyGraph, DEFAULT_COPY_CONCURRENCY, type CopyEvent, type CopyEventType, type CopyGraphOptions, type CopyGraphResult } from './copy.js';
export { isManifestType, isIndexType, parseManifest, successors, referrerDescriptor, type ParsedManifest } from './graph.js';
export { withFileLock, type FileLockOptions } from './file-lock.js';
