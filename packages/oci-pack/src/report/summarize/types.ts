/**
 * What the report knows about one artifact's content. Every summary is
 * computed from the artifact bytes with bounded memory; counts are exact,
 * lists are capped (the cap is stated in the summary when it was hit).
 */

export interface Count {
  name: string;
  count: number;
}

/** A ranked list of counts: the top entries and how many distinct names there were. */
export interface TopCounts {
  top: Count[];
  distinct: number;
  /** True when more distinct names appeared than the counter tracks. */
  capped: boolean;
}

export interface SpdxSummary {
  kind: 'spdx';
  specVersion?: string;
  documentName?: string;
  created?: string;
  creators: string[];
  packages: number;
  files: number;
  relationships: number;
  /** Per package: licenseDeclared, else licenseConcluded (NOASSERTION/NONE = no information). */
  licenses: TopCounts;
  packagesWithoutLicense: number;
}

export interface CycloneDxSummary {
  kind: 'cyclonedx';
  specVersion?: string;
  /** `metadata.component` name and version, the thing the BOM describes. */
  subject?: string;
  timestamp?: string;
  tools: string[];
  /** All components, nested ones included. */
  components: number;
  dependencies: number;
  vulnerabilities: number;
  licenses: TopCounts;
  componentsWithoutLicense: number;
}

export interface SarifRunSummary {
  tool: string;
  version?: string;
  results: number;
}

export interface SarifSummary {
  kind: 'sarif';
  version?: string;
  runs: SarifRunSummary[];
  results: number;
  /** SARIF level: result.level, else the rule's default level, else "warning". */
  byLevel: Record<'error' | 'warning' | 'note' | 'none', number>;
  /** From the rule's `security-severity` property (GitHub code scanning buckets). */
  bySeverity: Record<'critical' | 'high' | 'medium' | 'low', number>;
  byRule: TopCounts;
}

export interface JunitTotals {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
  /** Seconds. */
  time?: number;
}

export interface JunitSummary {
  kind: 'junit';
  /** Counted from the `<testcase>` elements. */
  counted: JunitTotals & { passed: number };
  /** As declared on the root element's attributes, when it has them. */
  declared?: Partial<JunitTotals>;
  suites: number;
  name?: string;
}

export interface StatementSummary {
  statementType?: string;
  predicateType?: string;
  subjects: { name: string; digests: Record<string, string> }[];
  subjectCount: number;
  builderId?: string;
  buildType?: string;
  /** Source repository and ref or commit, when the predicate names them. */
  source?: string;
}

/** What a Sigstore bundle claims about its signer. Not verified by the report. */
export interface ClaimedSigner {
  identity?: string;
  issuer?: string;
  logIndex?: string;
  integratedTime?: string;
  certificateNotBefore?: string;
  certificateNotAfter?: string;
  publicKeyHint?: string;
  timestamps: number;
}

export interface ProvenanceSummary {
  kind: 'provenance';
  container: 'statement' | 'dsse' | 'dsse-jsonl' | 'sigstore-bundle';
  envelopes: number;
  statements: StatementSummary[];
  signer?: ClaimedSigner;
}

export interface OpenVexSummary {
  kind: 'openvex';
  context?: string;
  author?: string;
  timestamp?: string;
  statements: number;
  byStatus: Record<'not_affected' | 'affected' | 'fixed' | 'under_investigation' | 'other', number>;
  /** Distinct vulnerability names. */
  vulnerabilities: number;
  vulnerabilitiesCapped?: boolean;
}

export interface ImageSummary {
  kind: 'image';
  format: 'png' | 'jpeg' | 'gif' | 'webp';
  width?: number;
  height?: number;
  /** A data: URI of the image itself, when it is small enough to inline. */
  dataUri?: string;
  omitted?: string;
}

export interface CsvSummary {
  kind: 'csv';
  records: number;
  /** Fields in the first record. */
  columns: number;
  /** Records whose field count differs from the first record's. */
  ragged: number;
}

export interface OtherSummary {
  kind: 'other';
  description: string;
}

export interface ErrorSummary {
  kind: 'error';
  /** What the content looked like before summarizing failed. */
  detected: string;
  message: string;
}

export type ArtifactSummary =
  | SpdxSummary
  | CycloneDxSummary
  | SarifSummary
  | OpenVexSummary
  | JunitSummary
  | ProvenanceSummary
  | ImageSummary
  | CsvSummary
  | OtherSummary
  | ErrorSummary;

export type SummaryKind = ArtifactSummary['kind'];
