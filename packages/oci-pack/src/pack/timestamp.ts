/**
 * The spec's only timestamp format, `YYYY-MM-DDTHH:MM:SSZ` (UTC, no
 * fractions, no offsets), and the `YYYY-MM-DD` dates of reference metadata.
 */
const TIMESTAMP_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

function isRealDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
  return day <= days;
}

/** Whether `s` is exactly `YYYY-MM-DDTHH:MM:SSZ` and names a real instant. */
export function isValidTimestamp(s: unknown): s is string {
  if (typeof s !== 'string') return false;
  const m = TIMESTAMP_RE.exec(s);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  return isRealDate(year, month, day) && hour <= 23 && minute <= 59 && second <= 59;
}

/** Whether `s` is exactly `YYYY-MM-DD` and a real date. */
export function isValidDate(s: unknown): s is string {
  if (typeof s !== 'string') return false;
  const m = DATE_RE.exec(s);
  if (!m) return false;
  const [year, month, day] = m.slice(1).map(Number) as [number, number, number];
  return isRealDate(year, month, day);
}

/** Formats a Date as the spec's timestamp (seconds precision, UTC). */
export function formatTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
