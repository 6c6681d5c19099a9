/** HTML for one artifact summary. */
import { formatCount, formatSeconds, html, join, type Raw } from './html.js';
import type { ArtifactSummary, Count, ProvenanceSummary, TopCounts } from './summarize/types.js';

type Fact = [label: string, value: unknown, metric?: string];

/** A definition list; `metric` marks machine-checkable numbers (`data-metric`). */
export function facts(rows: Fact[]): Raw {
  const items = rows
    .filter(([, value]) => value !== undefined && value !== null && value !== '')
    .map(([label, value, metric]) =>
      typeof value === 'number'
        ? html`<dt>${label}</dt><dd${metric ? html` data-metric="${metric}"` : ''}>${formatCount(value)}</dd>`
        : html`<dt>${label}</dt><dd>${value}</dd>`,
    );
  return items.length ? html`<dl class="facts">${items}</dl>` : html``;
}

function countTable(caption: string, column: string, countLabel: string, counts: TopCounts | Count[], metric?: string): Raw {
  const list = Array.isArray(counts) ? counts : counts.top;
  if (!list.length) return html``;
  const more = !Array.isArray(counts) && counts.distinct > list.length ? ` (top ${list.length} of ${counts.distinct}${counts.capped ? '+' : ''})` : '';
  return html`<table class="compact"${metric ? html` data-table="${metric}"` : ''}><caption>${caption}${more}</caption>
<thead><tr><th scope="col">${column}</th><th scope="col" class="num">${countLabel}</th></tr></thead>
<tbody>${list.map((c) => html`<tr><th scope="row">${c.name}</th><td class="num">${formatCount(c.count)}</td></tr>`)}</tbody></table>`;
}

function list(items: string[]): Raw {
  if (items.length === 1) return html`${items[0]}`;
  return html`<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>`;
}

function provenance(s: ProvenanceSummary): Raw {
  const container = {
    statement: 'in-toto statement',
    dsse: 'DSSE envelope',
    'dsse-jsonl': 'DSSE envelopes (JSON Lines)',
    'sigstore-bundle': 'Sigstore bundle',
  }[s.container];
  const parts: Raw[] = [facts([['Format', container], ['Envelopes', s.container === 'statement' ? undefined : s.envelopes, 'provenance.envelopes']])];
  if (s.signer) {
    const signer = s.signer;
    parts.push(html`<h4>Signer claimed by the bundle <span class="badge warn">not verified here</span></h4>`);
    parts.push(
      facts([
        ['Identity', signer.identity ? html`<code>${signer.identity}</code>` : signer.publicKeyHint !== undefined ? 'public key' : undefined],
        ['Issuer', signer.issuer],
        ['Transparency log index', signer.logIndex],
        ['Logged at', signer.integratedTime],
        ['Certificate valid', signer.certificateNotBefore ? `${signer.certificateNotBefore} to ${signer.certificateNotAfter ?? ''}` : undefined],
        ['RFC 3161 timestamps', signer.timestamps || undefined],
      ]),
    );
  }
  s.statements.forEach((st, i) => {
    parts.push(html`<h4>Statement${s.statements.length > 1 ? ` ${i + 1}` : ''}</h4>`);
    parts.push(
      facts([
        ['Predicate type', st.predicateType ? html`<code>${st.predicateType}</code>` : undefined],
        ['Builder', st.builderId ? html`<code>${st.builderId}</code>` : undefined],
        ['Build type', st.buildType ? html`<code>${st.buildType}</code>` : undefined],
        ['Source', st.source ? html`<code>${st.source}</code>` : undefined],
        ['Subjects', st.subjectCount, 'provenance.subjects'],
      ]),
    );
    if (st.subjects.length) {
      parts.push(html`<table><caption>Subjects${st.subjectCount > st.subjects.length ? ` (first ${st.subjects.length} of ${st.subjectCount})` : ''}</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Digest</th></tr></thead>
<tbody>${st.subjects.map(
        (sub) =>
          html`<tr><th scope="row">${sub.name || '(unnamed)'}</th><td>${Object.entries(sub.digests).map(([alg, v]) => html`<code>${alg}:${v}</code> `)}</td></tr>`,
      )}</tbody></table>`);
    }
  });
  return join(parts);
}

export function renderSummary(s: ArtifactSummary, name = 'the artifact'): Raw {
  switch (s.kind) {
    case 'spdx':
      return join([
        facts([
          ['Format', `SBOM, ${s.specVersion ?? 'SPDX'} (JSON)`],
          ['Document', s.documentName],
          ['Created', s.created],
          ['Created by', s.creators.length ? list(s.creators) : undefined],
          ['Packages', s.packages, 'spdx.packages'],
          ['Files', s.files, 'spdx.files'],
          ['Relationships', s.relationships, 'spdx.relationships'],
          ['Packages without license information', s.packagesWithoutLicense, 'spdx.unlicensed'],
        ]),
        countTable('Top licenses', 'License', 'Packages', s.licenses, 'licenses'),
      ]);
    case 'cyclonedx':
      return join([
        facts([
          ['Format', `SBOM, CycloneDX ${s.specVersion ?? ''} (JSON)`],
          ['Describes', s.subject],
          ['Timestamp', s.timestamp],
          ['Tools', s.tools.length ? list(s.tools) : undefined],
          ['Components', s.components, 'cyclonedx.components'],
          ['Dependency entries', s.dependencies, 'cyclonedx.dependencies'],
          ['Vulnerabilities', s.vulnerabilities, 'cyclonedx.vulnerabilities'],
          ['Components without license information', s.componentsWithoutLicense, 'cyclonedx.unlicensed'],
        ]),
        countTable('Top licenses', 'License', 'Components', s.licenses, 'licenses'),
      ]);
    case 'sarif': {
      const levels = (['error', 'warning', 'note', 'none'] as const).map((l) => ({ name: l, count: s.byLevel[l] }));
      const severities = (['critical', 'high', 'medium', 'low'] as const).map((l) => ({ name: l, count: s.bySeverity[l] }));
      const anySeverity = severities.some((x) => x.count > 0);
      return join([
        facts([
          ['Format', `Static analysis results, SARIF ${s.version ?? ''}`],
          ['Tools', list(s.runs.map((r) => (r.version ? `${r.tool} ${r.version}` : r.tool)))],
          ['Runs', s.runs.length > 1 ? s.runs.length : undefined],
          ['Results', s.results, 'sarif.results'],
        ]),
        html`<table class="compact" data-table="sarif.levels"><caption>Results by level</caption>
<thead><tr>${levels.map((c) => html`<th scope="col" class="num">${c.name}</th>`)}</tr></thead>
<tbody><tr>${levels.map((c) => html`<td class="num" data-metric="sarif.level.${c.name}">${formatCount(c.count)}</td>`)}</tr></tbody></table>`,
        anySeverity
          ? html`<table class="compact"><caption>Results by security severity</caption>
<thead><tr>${severities.map((c) => html`<th scope="col" class="num">${c.name}</th>`)}</tr></thead>
<tbody><tr>${severities.map((c) => html`<td class="num" data-metric="sarif.severity.${c.name}">${formatCount(c.count)}</td>`)}</tr></tbody></table>`
          : html``,
        countTable('Results by rule', 'Rule', 'Results', s.byRule, 'sarif.rules'),
      ]);
    }
    case 'openvex': {
      const statuses = (['affected', 'under_investigation', 'fixed', 'not_affected', 'other'] as const).map((k) => ({ name: k.replace('_', ' '), key: k, count: s.byStatus[k] }));
      return join([
        facts([
          ['Format', 'Vulnerability exploitability (OpenVEX)'],
          ['Context', s.context ? html`<code>${s.context}</code>` : undefined],
          ['Author', s.author],
          ['Timestamp', s.timestamp],
          ['Statements', s.statements, 'openvex.statements'],
          ['Vulnerabilities', s.vulnerabilitiesCapped ? `${formatCount(s.vulnerabilities)}+` : s.vulnerabilities, 'openvex.vulnerabilities'],
        ]),
        html`<table class="compact"><caption>Statements by status</caption>
<thead><tr>${statuses.map((c) => html`<th scope="col" class="num">${c.name}</th>`)}</tr></thead>
<tbody><tr>${statuses.map((c) => html`<td class="num" data-metric="openvex.${c.key}">${formatCount(c.count)}</td>`)}</tr></tbody></table>`,
      ]);
    }
    case 'junit': {
      const d = s.declared;
      const c = s.counted;
      const differs =
        d &&
        ((d.tests !== undefined && d.tests !== c.tests) ||
          (d.failures !== undefined && d.failures !== c.failures) ||
          (d.errors !== undefined && d.errors !== c.errors) ||
          (d.skipped !== undefined && d.skipped !== c.skipped));
      const status = c.failures + c.errors > 0 ? html`<span class="badge bad">failing</span>` : html`<span class="badge ok">passing</span>`;
      return join([
        facts([
          ['Format', 'Test results, JUnit XML'],
          ['Name', s.name],
          ['Status', status],
          ['Tests', c.tests, 'junit.tests'],
          ['Passed', c.passed, 'junit.passed'],
          ['Failures', c.failures, 'junit.failures'],
          ['Errors', c.errors, 'junit.errors'],
          ['Skipped', c.skipped, 'junit.skipped'],
          ['Test suites', s.suites, 'junit.suites'],
          ['Time', (d?.time ?? c.time) !== undefined ? formatSeconds((d?.time ?? c.time)!) : undefined],
        ]),
        differs
          ? html`<div class="alert warn" role="note">The report's root element declares different totals: ${[
              ['tests', d.tests],
              ['failures', d.failures],
              ['errors', d.errors],
              ['skipped', d.skipped],
            ]
              .filter(([, v]) => v !== undefined)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')}. The numbers above are counted from the test cases.</div>`
          : html``,
      ]);
    }
    case 'provenance':
      return provenance(s);
    case 'image': {
      const dims = s.width && s.height ? `${s.width} × ${s.height} pixels` : undefined;
      return join([
        facts([['Format', `Image, ${s.format.toUpperCase()}`], ['Dimensions', dims]]),
        s.dataUri
          ? html`<figure><img src="${s.dataUri}" alt="Image artifact ${name}" ${s.width && s.height ? html`width="${s.width}" height="${s.height}"` : ''}><figcaption>The image as stored in the pack${dims ? ` (${dims})` : ''}.</figcaption></figure>`
          : html`<p class="note">Not shown: ${s.omitted ?? 'too large'}.</p>`,
      ]);
    }
    case 'csv':
      return facts([
        ['Format', 'Table, CSV'],
        ['Records', s.records, 'csv.records'],
        ['Columns (first record)', s.columns, 'csv.columns'],
        ['Records with another column count', s.ragged || undefined],
      ]);
    case 'other':
      return facts([['Format', s.description]]);
    case 'error':
      return html`<div class="alert bad" role="note"><strong>Could not summarize this artifact${s.detected !== 'other' ? ` as ${s.detected}` : ''}:</strong> ${s.message}</div>`;
  }
}
