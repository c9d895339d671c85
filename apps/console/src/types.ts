/** What the REST API answers, as the console reads it. */
export interface Credential {
  id: string;
  clientEmail: string;
  projectId: string;
  bucket: string;
  createdAt: string;
}

export interface FileView {
  name: string;
  eventName: string;
  day: string;
  index: number;
  rows: number;
  bytes: number;
}

export interface RunView {
  id: string;
  windowStart: string;
  windowEnd: string;
  status: string;
  attempt: number;
  rowsExtracted: number;
  rowsRejected: number;
  rowsWritten: number;
  bytesWritten: number;
  filesCount: number;
  error?: string;
  warning?: string;
  nextAttemptAt?: string;
  startedAt: string | null;
  finishedAt: string | null;
  files: FileView[];
}

export interface ExportView {
  id: string;
  partner: string;
  credentialId: string;
  type: string;
  events?: string[];
  frequency: 'one_time' | 'recurring';
  from?: string;
  to?: string;
  intervalHours?: number;
  startAt?: string;
  format: string;
  compression: string;
  /** Added by the export options of issue 18; shown when present. */
  prefix?: string;
  maxFileMb?: number;
  xmlLayout?: string;
  profileMode?: string;
  status: string;
  /** Why an export failed or was paused. */
  error?: string;
  reason?: string;
  pausedAt?: string;
  createdAt: string;
  updatedAt: string;
  runs: RunView[];
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
