import { EpackError } from '@epack/oci-pack/error';
import { ExitCode, exitCodeForKind } from './exit-codes.js';
import type { Output } from './output.js';

/** Prints one line for any failure and returns the exit code. */
export function reportError(err: unknown, out: Output): number {
  if (err instanceof EpackError) {
    const hint = err.hint ? ` (${err.hint})` : LIMIT_FLAGS[err.code] ? ` (raise the limit with ${LIMIT_FLAGS[err.code]})` : '';
    if (out.json) {
      out.errorLine(JSON.stringify({ error: { code: err.code, kind: err.kind, message: err.message, hint: err.hint, details: err.details } }));
    } else {
      out.errorLine(`epack: ${out.paint('31', err.code)}: ${oneLine(err.message)}${oneLine(hint)}`);
    }
    if (out.debugEnabled && err.cause) out.debug(`cause: ${describeCause(err.cause)}`);
    return exitCodeForKind(err.kind);
  }
  const message = err instanceof Error ? err.message : String(err);
  if (out.json) {
    out.errorLine(JSON.stringify({ error: { code: 'internal_error', kind: 'internal', message } }));
  } else {
    out.errorLine(`epack: internal_error: ${oneLine(message)} (this is a bug in epack; rerun with --debug and report it)`);
  }
  if (out.debugEnabled && err instanceof Error && err.stack) out.debug(err.stack);
  return ExitCode.internal;
}

/** Budgets a user may raise on the command line (pack-limit-flags.ts). */
const LIMIT_FLAGS: Record<string, string> = {
  artifact_too_large: '--max-artifact-size',
  pack_too_large: '--max-pack-size',
  too_many_artifacts: '--max-artifact-count',
  too_many_entries: '--max-entry-count',
};

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  return String(cause);
}
