/** The choices a customer makes when creating an export, in the product's words. */
export const EXPORT_PARTNERS = ['gcp'] as const;
export type ExportPartner = (typeof EXPORT_PARTNERS)[number];

export const EXPORT_TYPES = ['all_events', 'select_events', 'all_profiles'] as const;
export type ExportType = (typeof EXPORT_TYPES)[number];

export const EXPORT_FREQUENCIES = ['one_time', 'recurring'] as const;
export type ExportFrequency = (typeof EXPORT_FREQUENCIES)[number];

export const EXPORT_FORMATS = ['json', 'xml', 'csv', 'parquet'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const EXPORT_COMPRESSIONS = ['none', 'gzip', 'zstd', 'snappy'] as const;
export type ExportCompression = (typeof EXPORT_COMPRESSIONS)[number];

/** Statuses shown in the Activity Log. */
export const EXPORT_STATUSES = ['pending', 'running', 'done', 'failed', 'stopped', 'paused'] as const;
export type ExportStatus = (typeof EXPORT_STATUSES)[number];

/**
 * Statuses of one run: one (export, window). `cancelled`: its export was stopped before the
 * run started (a run under way when the export is stopped finishes, but is not retried).
 */
export const RUN_STATUSES = ['pending', 'running', 'done', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/**
 * The XML layout: `documented`, the platform's own (profile and deviceInfo keys as element
 * names, eventProps as key/value entries); `typed`, every object as entries and every
 * value with a `type` attribute.
 */
export const XML_LAYOUTS = ['documented', 'typed'] as const;
export type XmlLayout = (typeof XML_LAYOUTS)[number];

/**
 * What each window of a recurring profile export writes: `incremental`, the profiles whose
 * latest value (or deletion) was captured in the window; `snapshot`, every profile.
 * A one-time profile export is always a snapshot.
 */
export const PROFILE_MODES = ['incremental', 'snapshot'] as const;
export type ProfileMode = (typeof PROFILE_MODES)[number];

/** The largest file an export may ask for, in MiB (the deployment's MAX_FILE_BYTES stays the ceiling). */
export const MAX_FILE_MB = 100;

/** How far back a one-time export may reach. */
export const MAX_WINDOW_AGE_DAYS = 45;

/** File extension of each format, before any `.gz`. */
export function fileExtension(format: ExportFormat, compression: ExportCompression): string {
  return compression === 'gzip' && format !== 'parquet' ? `${format}.gz` : format;
}
