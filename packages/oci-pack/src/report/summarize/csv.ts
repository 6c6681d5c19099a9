/** CSV (RFC 4180): record count (quoted line breaks do not end a record) and columns. */
import type { CsvSummary } from './types.js';

export async function summarizeCsv(source: AsyncIterable<Uint8Array>, delimiter = ','): Promise<CsvSummary> {
  const summary: CsvSummary = { kind: 'csv', records: 0, columns: 0, ragged: 0 };
  const decoder = new TextDecoder('utf-8');
  const delim = delimiter.charCodeAt(0);
  let inQuotes = false;
  let fields = 1;
  let hasContent = false;

  const endRecord = (): void => {
    if (hasContent) {
      summary.records++;
      if (summary.records === 1) summary.columns = fields;
      else if (fields !== summary.columns) summary.ragged++;
    }
    fields = 1;
    hasContent = false;
  };

  const scan = (text: string): void => {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        inQuotes = !inQuotes; // a doubled quote toggles twice
        hasContent = true;
      } else if (inQuotes) {
        continue;
      } else if (c === 0x0a) {
        endRecord();
      } else if (c === delim) {
        fields++;
        hasContent = true;
      } else if (c !== 0x0d) {
        hasContent = true;
      }
    }
  };

  for await (const chunk of source) scan(decoder.decode(chunk, { stream: true }));
  scan(decoder.decode());
  endRecord();
  return summary;
}
