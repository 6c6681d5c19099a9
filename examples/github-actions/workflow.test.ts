/**
 * The GitHub Actions example cannot run here (no GHCR, no Actions OIDC token),
 * so it is checked statically: the YAML parses, it asks for the permissions
 * keyless signing and GHCR need, it runs the same evidence script as the
 * local example, and every `epack …` line in it is accepted by the real CLI's
 * parser (EPACK_PARSE_ONLY: flags and arguments checked, nothing run).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { splitShell } from '../../test/docs/doc-examples.js';
import { REPO_ROOT } from '../../test/harness/tools.js';

const WORKFLOW_FILE = path.join(REPO_ROOT, 'examples/github-actions/epack-trust-pack.yml');
const README = path.join(REPO_ROOT, 'examples/README.md');

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<string, { 'runs-on': string; env?: Record<string, string>; steps: Step[] }>;
}

const DRIVER = `
import { main } from ${JSON.stringify(path.join(REPO_ROOT, 'packages/cli/dist/main.js'))};
const realErr = process.stderr.write.bind(process.stderr);
const realOut = process.stdout.write.bind(process.stdout);
const results = [];
for (const argv of JSON.parse(process.argv[1])) {
  let err = '';
  process.stderr.write = (chunk) => { err += String(chunk); return true; };
  process.stdout.write = () => true;
  const code = await main(argv);
  process.stderr.write = realErr;
  process.stdout.write = realOut;
  results.push({ code, err: err.trim() });
}
realOut(JSON.stringify(results));
`;

/** Parses argv lists with the real CLI without running the commands. */
function parseWithCli(argvs: string[][]): { code: number; err: string }[] {
  const res = spawnSync(process.execPath, ['--input-type=module', '-e', DRIVER, JSON.stringify(argvs)], {
    env: { ...process.env, EPACK_PARSE_ONLY: '1', NO_COLOR: '1' },
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  expect(res.status, res.stderr).toBe(0);
  return JSON.parse(res.stdout) as { code: number; err: string }[];
}

/** The `epack …` command lines of a run script, continuation lines joined. */
function epackLines(script: string): string[] {
  const lines = script.split('\n');
  const found: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    let text = lines[i]!.trim();
    if (!/^epack\s/.test(text)) continue;
    while (text.endsWith('\\') && i + 1 < lines.length) text = text.slice(0, -1) + ' ' + lines[++i]!.trim();
    found.push(text);
  }
  return found;
}

const workflow = parse(readFileSync(WORKFLOW_FILE, 'utf8')) as Workflow;
const job = workflow.jobs['trust-pack']!;
const steps = job.steps;
const scripts = steps.flatMap((s) => (s.run ? [s.run] : []));
const commands = scripts.flatMap(epackLines);

describe('examples/github-actions/epack-trust-pack.yml', () => {
  it('parses, runs on pushes to main, and asks for exactly the permissions it needs', () => {
    expect(Object.keys(workflow.on)).toEqual(expect.arrayContaining(['push', 'workflow_dispatch']));
    expect(workflow.on['push']).toEqual({ branches: ['main'] });
    expect(workflow.permissions).toEqual({ contents: 'read', 'id-token': 'write', packages: 'write' });
  });

  it('sets up Node 24 and pnpm, installs from the lockfile and runs the evidence script of the local example', () => {
    const uses = steps.map((s) => s.uses ?? '');
    expect(uses.some((u) => u.startsWith('actions/checkout@'))).toBe(true);
    expect(uses.some((u) => u.startsWith('pnpm/action-setup@'))).toBe(true);
    const node = steps.find((s) => s.uses?.startsWith('actions/setup-node@'));
    expect(String(node?.with?.['node-version'])).toBe('24');
    const all = scripts.join('\n');
    expect(all).toContain('pnpm install --frozen-lockfile');
    expect(all).toContain('bash examples/trust-pack/collect-evidence.sh');
    expect(existsSync(path.join(REPO_ROOT, 'examples/trust-pack/collect-evidence.sh'))).toBe(true);
  });

  it('keeps expressions out of run scripts (values reach the shell through env)', () => {
    for (const script of scripts) expect(script).not.toContain('${{');
    const login = steps.find((s) => s.run?.includes('epack login'));
    expect(login?.env?.['GHCR_TOKEN']).toBe('${{ secrets.GITHUB_TOKEN }}');
  });

  it('builds, signs keylessly, logs in, pushes to GHCR with --sign, and verifies against the workflow identity', () => {
    const verbs = commands.map((c) => splitShell(c)[1]);
    expect(verbs).toEqual(expect.arrayContaining(['build', 'sign', 'login', 'push', 'discover', 'verify', 'pull', 'report']));
    const push = commands.find((c) => c.startsWith('epack push'))!;
    expect(push).toMatch(/epack push "\$IMAGE:\$GITHUB_SHA" /);
    expect(push).toContain('--sign');
    expect(scripts.join('\n')).toContain('IMAGE="ghcr.io/${GITHUB_REPOSITORY_OWNER,,}/evidence"');
    const login = commands.find((c) => c.startsWith('epack login'))!;
    expect(splitShell(login)).toEqual(['epack', 'login', 'ghcr.io', '-u', 'VALUE', '--password-stdin']);
    for (const c of commands.filter((c) => c.startsWith('epack sign'))) expect(c).not.toContain('--key');
    expect(job.env?.['OIDC_ISSUER']).toBe('https://token.actions.githubusercontent.com');
    expect(job.env?.['SIGNER']).toBe(`https://github.com/\${{ github.repository }}/.github/workflows/${path.basename(WORKFLOW_FILE)}@\${{ github.ref }}`);
    for (const c of commands.filter((c) => /^epack (verify|pull|report) "\$REF"/.test(c))) {
      expect(c).toContain('--issuer "$OIDC_ISSUER" --subject "$SIGNER"');
    }
  });

  it('every epack line is accepted by the CLI parser (and the check catches a bad flag)', () => {
    expect(commands.length).toBeGreaterThanOrEqual(9);
    const argvs = commands.map((c) => splitShell(c).slice(1));
    const control = ['push', 'ghcr.io/acme/evidence:1', 'e.epack', '--no-such-flag'];
    const results = parseWithCli([...argvs, control]);
    const failures = argvs.map((a, i) => ({ c: commands[i], r: results[i]! })).filter(({ r }) => r.code !== 0);
    expect(failures.map(({ c, r }) => `${c}\n  -> exit ${r.code}: ${r.err}`)).toEqual([]);
    expect(results.at(-1)!.code).toBe(2);
  });

  it('the README gives customers a cosign verify line for this workflow identity', () => {
    const readme = readFileSync(README, 'utf8');
    const cosign = readme.split('\n').find((l) => l.trim().startsWith('cosign verify ghcr.io/'));
    expect(cosign).toBeDefined();
    expect(cosign).toContain('--certificate-oidc-issuer https://token.actions.githubusercontent.com');
    expect(cosign).toMatch(/--certificate-identity-regexp '\^https:\/\/github\\\.com\/[^']*\/\\\.github\/workflows\/epack-trust-pack\\\.yml@refs\/heads\/main\$'/);
    expect(readme).toContain(path.basename(WORKFLOW_FILE));
  });
});
