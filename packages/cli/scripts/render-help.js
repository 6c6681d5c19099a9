// Build step: pre-renders the --help pages into dist/help/ (see src/help-cache.ts).
import { renderHelpPages } from '../dist/help-cache.js';

const dir = new URL('../dist/help/', import.meta.url).pathname;
await renderHelpPages(dir);
