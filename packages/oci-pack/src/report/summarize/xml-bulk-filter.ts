/**
 * Drops the bodies of XML comments and CDATA sections before parsing. JUnit
 * reports keep stack traces and captured output in CDATA, and a SAX parser
 * buffers a whole section in one string; the summary needs none of it, so
 * memory stays bounded by the markup, not by the logs. `<` cannot occur in
 * attribute values, so every `<` in text starts markup.
 */
const COMMENT_OPEN = '<!--';
const CDATA_OPEN = '<![CDATA[';

type State = 'text' | 'comment' | 'cdata';

export class XmlBulkFilter {
  private state: State = 'text';
  private pending = '';

  /** Returns what to feed the parser for this chunk. */
  write(chunk: string): string {
    const input = this.pending + chunk;
    this.pending = '';
    const out: string[] = [];
    let i = 0;
    while (i < input.length) {
      if (this.state === 'text') {
        const lt = input.indexOf('<', i);
        if (lt < 0) {
          out.push(input.slice(i));
          break;
        }
        out.push(input.slice(i, lt));
        const tail = input.slice(lt);
        const partial = (marker: string) => tail.length < marker.length && marker.startsWith(tail);
        if (partial(COMMENT_OPEN) || partial(CDATA_OPEN)) {
          this.pending = tail;
          break;
        }
        if (input.startsWith(COMMENT_OPEN, lt)) {
          out.push(COMMENT_OPEN);
          this.state = 'comment';
          i = lt + COMMENT_OPEN.length;
        } else if (input.startsWith(CDATA_OPEN, lt)) {
          out.push(CDATA_OPEN);
          this.state = 'cdata';
          i = lt + CDATA_OPEN.length;
        } else {
          out.push('<');
          i = lt + 1;
        }
        continue;
      }
      const close = this.state === 'comment' ? '-->' : ']]>';
      const end = input.indexOf(close, i);
      if (end < 0) {
        // Keep a possible start of the closing marker for the next chunk.
        this.pending = input.slice(Math.max(i, input.length - (close.length - 1)));
        break;
      }
      out.push(close);
      this.state = 'text';
      i = end + close.length;
    }
    return out.join('');
  }

  /** What is left at the end of the input (an unterminated section stays unterminated). */
  end(): string {
    const rest = this.state === 'text' ? this.pending : '';
    this.pending = '';
    return rest;
  }
}
