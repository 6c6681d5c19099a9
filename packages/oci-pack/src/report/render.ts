/**
 * Renders a pack's human report: one self-contained index.html (inline CSS,
 * no script, no network: a strict CSP forbids everything but inline styles
 * and data: images), semantic and keyboard navigable.
 */
import type { PackReader } from '../pack/types.js';
import { formatBytes, formatCount, html, plural, Raw } from './html.js';
import { buildReportModel } from './model.js';
import { facts, renderSummary } from './render-summary.js';
import { REPORT_CSS } from './style.js';
import type { ReportArtifact, ReportChanges, ReportModel, ReportOptions, ReportSignature } from './types.js';

export const REPORT_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";

export interface RenderedReport {
  html: string;
  model: ReportModel;
  /** Extra files next to index.html; none today (everything is inline). */
  assets?: Record<string, Uint8Array>;
}

function shortDigest(digest: string): string {
  const [alg, hex] = digest.split(':');
  return hex ? `${alg}:${hex.slice(0, 12)}…` : digest;
}

function sizeText(n: number): string {
  return n < 1000 ? `${formatCount(n)} bytes` : `${formatBytes(n)} (${formatCount(n)} bytes)`;
}

function titleOf(a: ReportArtifact): string {
  return a.displayName || a.path.replace(/^artifacts\//, '');
}

function kindLabel(a: ReportArtifact): string {
  const s = a.summary;
  switch (s.kind) {
    case 'spdx':
      return 'SBOM (SPDX)';
    case 'cyclonedx':
      return 'SBOM (CycloneDX)';
    case 'sarif':
      return 'Scan results (SARIF)';
    case 'openvex':
      return 'VEX (OpenVEX)';
    case 'junit':
      return 'Test results (JUnit)';
    case 'provenance':
      return 'Attestation / provenance';
    case 'image':
      return 'Image';
    case 'csv':
      return 'Table (CSV)';
    case 'error':
      return 'Unreadable';
    case 'other':
      return a.contentType ?? s.description;
  }
}

function headline(a: ReportArtifact): string {
  const s = a.summary;
  switch (s.kind) {
    case 'spdx':
      return plural(s.packages, 'package');
    case 'cyclonedx':
      return `${plural(s.components, 'component')}${s.vulnerabilities ? `, ${plural(s.vulnerabilities, 'vulnerability', 'vulnerabilities')}` : ''}`;
    case 'sarif':
      return `${plural(s.results, 'result')} (${plural(s.byLevel.error, 'error')})`;
    case 'openvex':
      return `${plural(s.statements, 'statement')}, ${formatCount(s.byStatus.affected)} affected`;
    case 'junit':
      return `${plural(s.counted.tests, 'test')}, ${formatCount(s.counted.failures + s.counted.errors)} failing`;
    case 'provenance':
      return plural(s.statements.reduce((n, st) => n + st.subjectCount, 0), 'subject');
    case 'image':
      return s.width && s.height ? `${s.width} × ${s.height}` : s.format.toUpperCase();
    case 'csv':
      return plural(s.records, 'record');
    case 'error':
      return 'could not be read';
    case 'other':
      return '';
  }
}

function overview(m: ReportModel): Raw {
  const signed = m.signatures.length;
  return html`<section id="overview" aria-labelledby="overview-h"><h2 id="overview-h">Overview</h2>
${facts([
  ['Stream', html`<code>${m.stream}</code>`],
  ['Generated at', m.generatedAt],
  ['Spec version', m.specVersion],
  ['Pack digest', html`<code>${m.packDigest}</code>`],
  ['Manifest digest', html`<code>sha256:${m.manifestDigest}</code>`],
  ['Pack', html`<code>${m.pack}</code>`],
  ['Reference', m.reference ? html`<code>${m.reference}</code>` : undefined],
  ['Artifacts', m.artifacts.length, 'pack.artifacts'],
  ['Total artifact size', sizeText(m.totalSize)],
  ['Signatures', signed ? html`${formatCount(signed)} (<a href="#signatures">details</a>)` : html`<span class="badge warn">unsigned</span>`],
  ['Sources', m.sources.length ? html`${formatCount(m.sources.length)} (<a href="#sources">details</a>)` : undefined],
])}</section>`;
}

function signatureStatus(sig: ReportSignature): Raw {
  if (sig.error && sig.verified !== true) return html`<span class="badge bad">${sig.verified === false ? 'failed' : 'unreadable'}</span>`;
  if (sig.verified === true && sig.ruleMet === null) return html`<span class="badge warn">valid, meets no policy rule</span>`;
  if (sig.verified === true) return html`<span class="badge ok">verified</span>`;
  if (sig.verified === false) return html`<span class="badge bad">failed</span>`;
  return html`<span class="badge warn">not verified</span>`;
}

function signatureCard(s: ReportSignature, i: number): Raw {
  return html`<article class="signature" aria-labelledby="signature-${i + 1}-h"><h3 id="signature-${i + 1}-h"><code>${s.source}</code> ${signatureStatus(s)}</h3>
${facts([
  ['Problem', s.error],
  ['Stored', s.location === 'registry' ? 'in the registry (OCI referrer)' : 'in the pack'],
  ['Policy rule met', s.ruleMet ?? undefined],
  ['Signer identity', s.identity ? html`<code>${s.identity}</code>` : s.mode === 'key' ? 'a public key (no identity)' : undefined],
  ['Issuer', s.issuer],
  ['Kind', s.mode === 'key' ? 'key-signed' : s.mode === 'keyless' ? 'keyless (Fulcio certificate)' : undefined],
  ['Logged at', s.integratedTime],
  ['Transparency log index', s.logIndex],
  ['Timestamp (RFC 3161)', s.timestamp],
  ['Predicate type', s.predicateType ? html`<code>${s.predicateType}</code>` : undefined],
])}</article>`;
}

function signatures(m: ReportModel): Raw {
  const anyUnverified = m.signatures.some((s) => s.verified === undefined);
  const commands = m.verifyCommands.map(
    (c) => html`<h4>${c.description}</h4>${c.signer ? html`<p class="note">Signer <code>${c.signer}</code></p>` : ''}<pre class="command"><code>${c.command}</code></pre>`,
  );
  return html`<section id="signatures" aria-labelledby="signatures-h"><h2 id="signatures-h">Signatures</h2>
${
  m.signatures.length
    ? html`<p>${plural(m.signatures.length, 'signature')} over the manifest digest <code>sha256:${m.manifestDigest}</code>.
${anyUnverified ? 'Those marked "not verified" show what the signature claims; this report did not check them. Run a command below to verify.' : ''}</p>
${m.signatures.map(signatureCard)}`
    : html`<p>This pack has no signatures.</p>`
}
${commands.length ? html`<h3>Verify it yourself</h3>${commands}` : ''}
</section>`;
}

function changeRows(label: string, list: ReportChanges['added']): Raw {
  if (!list.length) return html``;
  return html`<table class="stack"><caption>${label} (${list.length})</caption>
<thead><tr><th scope="col">Path</th><th scope="col">Before</th><th scope="col">After</th><th scope="col">Key figures</th></tr></thead>
<tbody>${list.map(
    (c) => html`<tr><th scope="row"><code>${c.path}</code></th>
<td data-label="Before">${c.before ? html`<code>${shortDigest(c.before.digest)}</code> ${formatBytes(c.before.size)}` : '—'}</td>
<td data-label="After">${c.after ? html`<code>${shortDigest(c.after.digest)}</code> ${formatBytes(c.after.size)}` : '—'}</td>
<td data-label="Key figures">${c.metrics?.length ? html`<ul>${c.metrics.map((x) => html`<li>${x.label}: ${formatCount(x.before)} → ${formatCount(x.after)}</li>`)}</ul>` : c.fields && !c.fields.includes('digest') ? `changed: ${c.fields.join(', ')}` : '—'}</td></tr>`,
  )}</tbody></table>`;
}

function changes(c: ReportChanges): Raw {
  const nothing = !c.added.length && !c.removed.length && !c.changed.length && !c.sources.length;
  return html`<section id="changes" aria-labelledby="changes-h"><h2 id="changes-h">Changes since the previous pack</h2>
${facts([
  ['Previous pack generated at', c.previous.generatedAt],
  ['Previous stream', c.streamChanged ? html`<code>${c.previous.stream}</code> <span class="badge warn">different stream</span>` : undefined],
  ['Previous pack digest', html`<code>${c.previous.packDigest}</code>`],
  ['Added', c.added.length, 'changes.added'],
  ['Removed', c.removed.length, 'changes.removed'],
  ['Changed', c.changed.length, 'changes.changed'],
  ['Unchanged', c.unchanged, 'changes.unchanged'],
])}
${nothing ? html`<p>No artifact or source changed.</p>` : ''}
${changeRows('Changed artifacts', c.changed)}${changeRows('Added artifacts', c.added)}${changeRows('Removed artifacts', c.removed)}
${
  c.sources.length
    ? html`<table class="stack"><caption>Changed sources (${c.sources.length})</caption><thead><tr><th scope="col">Source</th><th scope="col">Before</th><th scope="col">After</th></tr></thead>
<tbody>${c.sources.map((s) => html`<tr><th scope="row">${s.name}</th><td data-label="Before">${s.before === undefined ? 'absent' : s.before || '—'}</td><td data-label="After">${s.after === undefined ? 'absent' : s.after || '—'}</td></tr>`)}</tbody></table>`
    : ''
}</section>`;
}

function artifactIndex(m: ReportModel): Raw {
  return html`<table class="stack"><caption>All ${plural(m.artifacts.length, 'embedded artifact')}</caption>
<thead><tr><th scope="col">Artifact</th><th scope="col">Type</th><th scope="col" class="num">Size</th><th scope="col">Summary</th></tr></thead>
<tbody>${m.artifacts.map(
    (a) => html`<tr><th scope="row"><a href="#${a.id}">${titleOf(a)}</a></th><td data-label="Type">${kindLabel(a)}</td><td class="num" data-label="Size">${formatBytes(a.size)}</td><td data-label="Summary">${
      a.summary.kind === 'error' ? html`<span class="badge bad">${headline(a)}</span>` : headline(a)
    }</td></tr>`,
  )}</tbody></table>`;
}

function artifact(a: ReportArtifact): Raw {
  return html`<article class="artifact" id="${a.id}" aria-labelledby="${a.id}-h"><h3 id="${a.id}-h">${titleOf(a)}</h3>
${facts([
  ['Path', html`<code>${a.path}</code>`],
  ['Content type', a.contentType ? html`<code>${a.contentType}</code>` : 'not recorded'],
  ['Size', sizeText(a.size)],
  ['Digest', html`<code>${a.digest}</code>`],
  ['Content check', a.summary.kind === 'error' ? undefined : html`<span class="badge ok">matches digest</span>`],
  ['Description', a.description],
  ['Collected at', a.collectedAt],
  ['Schema', a.schema ? html`<code>${a.schema}</code>` : undefined],
  ['Controls', a.controls?.length ? a.controls.join(', ') : undefined],
])}
${renderSummary(a.summary, a.path)}
</article>`;
}

function sourceValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function sources(m: ReportModel): Raw {
  if (!m.sources.length && !m.provenance) return html``;
  return html`<section id="sources" aria-labelledby="sources-h"><h2 id="sources-h">Sources</h2>
${
  m.sources.length
    ? html`<table class="stack"><caption>Systems the evidence was collected from</caption><thead><tr><th scope="col">Name</th><th scope="col">Version</th><th scope="col">Other fields</th></tr></thead>
<tbody>${m.sources.map((s) => {
        const others = Object.entries(s).filter(([k]) => k !== 'name' && k !== 'version');
        return html`<tr><th scope="row">${s.name}</th><td data-label="Version">${typeof s.version === 'string' ? s.version : '—'}</td><td data-label="Other fields">${
          others.length ? html`<ul>${others.map(([k, v]) => html`<li>${k}: <code>${sourceValue(v)}</code></li>`)}</ul>` : '—'
        }</td></tr>`;
      })}</tbody></table>`
    : ''
}
${m.provenance ? html`<h3>Pack provenance</h3><pre class="command"><code>${JSON.stringify(m.provenance, null, 2)}</code></pre>` : ''}
</section>`;
}

function referenced(m: ReportModel): Raw {
  if (!m.referenced.length) return html``;
  return html`<h3>Referenced artifacts (not embedded)</h3><ul>${m.referenced.map(
    (r) => html`<li><code>${JSON.stringify(r)}</code></li>`,
  )}</ul>`;
}

/** The HTML of a report model. Pure: the same model gives the same bytes. */
export function renderModel(m: ReportModel): string {
  const nav: [string, string][] = [
    ['#overview', 'Overview'],
    ['#signatures', 'Signatures'],
    ...(m.changes ? ([['#changes', 'Changes']] as [string, string][]) : []),
    ['#artifacts', 'Artifacts'],
    ...(m.sources.length || m.provenance ? ([['#sources', 'Sources']] as [string, string][]) : []),
  ];
  const page = html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>Evidence pack report: ${m.stream}</title>
<style>${new Raw(REPORT_CSS)}</style>
</head>
<body>
<a class="skip" href="#main">Skip to the report</a>
<header class="top">
<h1>Evidence pack report</h1>
<p><code>${m.stream}</code>, generated at ${m.generatedAt}</p>
</header>
<nav class="toc" aria-label="Report sections"><ul>${nav.map(([href, label]) => html`<li><a href="${href}">${label}</a></li>`)}</ul></nav>
<main id="main" tabindex="-1">
${overview(m)}
${signatures(m)}
${m.changes ? changes(m.changes) : ''}
<section id="artifacts" aria-labelledby="artifacts-h"><h2 id="artifacts-h">Artifacts</h2>
${m.artifacts.length ? artifactIndex(m) : html`<p>This pack embeds no artifacts.</p>`}
${m.artifacts.map(artifact)}
${referenced(m)}
</section>
${sources(m)}
</main>
<footer><p>${m.generator ? `Generated by ${m.generator}. ` : ''}Everything above is read from the pack: its manifest, and summaries computed from the artifacts' bytes, each checked against its digest. Signatures marked "not verified" are claims until a verify command above succeeds.</p></footer>
</body>
</html>
`;
  return page.value;
}

export async function renderReport(pack: PackReader, options: ReportOptions = {}): Promise<RenderedReport> {
  const model = await buildReportModel(pack, options);
  return { html: renderModel(model), model };
}

