export const VERSION_USER_AGENT = `epack/0.1 (node ${process.versions.node})`;
