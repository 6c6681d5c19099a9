import { defineCommand } from '../command.js';

interface Args {
  vectorsDir: string;
  filter?: string;
  verbose: boolean;
  quiet: boolean;
}

export default defineCommand<Args>({
  command: 'conformance <vectors-dir>',
  describe: 'Run the Evidence Pack spec test vectors against epack (runner-spec output)',
  builder: (y) =>
    y
      .positional('vectors-dir', { type: 'string', describe: 'the test-vectors directory of locktivity/evidence-pack', demandOption: true })
      .option('filter', { type: 'string', describe: 'only vectors whose path contains this text (or exactly <vector>#<case>)' })
      .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'list every case, not only failures' })
      .example('epack conformance ./evidence-pack/test-vectors', 'run all vectors, print failures and a summary')
      .example('epack conformance ./test-vectors --json', 'one runner-spec JSON object per case (JSON Lines)')
      .example('epack conformance ./test-vectors --filter zip-safety/', 'only the ZIP safety vectors'),
  run: async (args, { out }) => {
    const { runConformance } = await import('@epack/oci-pack/pack');
    const summary = await runConformance(args.vectorsDir, {
      ...(args.filter !== undefined ? { filter: args.filter } : {}),
      onResult: (r) => {
        if (out.json) {
          out.jsonLine(r);
          return;
        }
        const label = `${r.vector}#${r.case}`;
        if (!r.pass) out.line(`${out.paint('31', 'FAIL')} ${label}: ${r.failure ?? ''}`);
        else if (r.waived !== undefined) out.line(`${out.paint('33', 'WAIVED')} ${label}: ${r.waived}`);
        else if (args.verbose) out.line(`${out.paint('32', 'ok')}   ${label}${r.result.ok ? '' : ` (rejected: ${r.result.errors[0]?.code ?? ''})`}`);
      },
    });
    const version = summary.vectorsVersion ? `test vectors ${summary.vectorsVersion}, ` : '';
    const text =
      `epack conformance: ${summary.passed}/${summary.total} cases passed` +
      (summary.waived > 0 ? ` (${summary.waived} waived: vectors that contradict the spec)` : '') +
      ` — ${version}spec ${summary.specVersion}`;
    if (out.json) {
      if (!args.quiet) out.errorLine(text);
    } else {
      out.line(summary.failed > 0 ? `${text}; ${summary.failed} FAILED` : text);
    }
    return summary.failed === 0 ? 0 : 1;
  },
});
