/** SPDX 2.x JSON: packages, files, relationships, licenses and creators. */
import { BoundedCounter } from './counter.js';
import { parseJsonStream, type JsonPath, type JsonScalar } from './json-stream.js';
import type { SpdxSummary } from './types.js';

const MAX_CREATORS = 20;
const NO_INFORMATION = new Set(['NOASSERTION', 'NONE', '']);

export async function summarizeSpdx(source: AsyncIterable<Uint8Array>): Promise<SpdxSummary> {
  const summary: SpdxSummary = {
    kind: 'spdx',
    creators: [],
    packages: 0,
    files: 0,
    relationships: 0,
    licenses: { top: [], distinct: 0, capped: false },
    packagesWithoutLicense: 0,
  };
  const licenses = new BoundedCounter();
  let declared: string | undefined;
  let concluded: string | undefined;

  await parseJsonStream(source, {
    enter(path: JsonPath, kind) {
      if (path.length !== 2 || kind !== 'object' || typeof path[1] !== 'number') return;
      if (path[0] === 'packages') {
        summary.packages++;
        declared = undefined;
        concluded = undefined;
      } else if (path[0] === 'files') summary.files++;
      else if (path[0] === 'relationships') summary.relationships++;
    },
    leave(path: JsonPath, kind) {
      if (path.length !== 2 || kind !== 'object' || path[0] !== 'packages') return;
      const license = [declared, concluded].find((l) => l !== undefined && !NO_INFORMATION.has(l));
      if (license === undefined) summary.packagesWithoutLicense++;
      else licenses.add(license);
    },
    value(path: JsonPath, value: JsonScalar) {
      if (typeof value !== 'string') return;
      if (path.length === 1) {
        if (path[0] === 'spdxVersion') summary.specVersion = value;
        else if (path[0] === 'name') summary.documentName = value;
      } else if (path[0] === 'creationInfo') {
        if (path.length === 2 && path[1] === 'created') summary.created = value;
        else if (path.length === 3 && path[1] === 'creators' && summary.creators.length < MAX_CREATORS) summary.creators.push(value);
      } else if (path.length === 3 && path[0] === 'packages') {
        if (path[2] === 'licenseDeclared') declared = value.trim();
        else if (path[2] === 'licenseConcluded') concluded = value.trim();
      }
    },
  });
  summary.licenses = licenses.top();
  return summary;
}
