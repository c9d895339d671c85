import type { Export, ExportFile, ExportRun } from '@bulk-export/persistence';

/** An export as the Activity Log shows it. */
export function presentExport(e: Export, runs: ExportRun[] = [], files: ExportFile[] = []) {
  return {
    id: e.id,
    partner: e.partner,
    credentialId: e.credentialId,
    type: e.type,
    ...(e.eventNames ? { events: e.eventNames } : {}),
    frequency: e.frequency,
    ...(e.frequency === 'one_time'
      ? { from: e.windowFrom.toISOString(), to: e.windowTo?.toISOString() }
      : { intervalHours: e.intervalHours, startAt: e.windowFrom.toISOString() }),
    format: e.format,
    compression: e.compression,
    ...(e.prefix ? { prefix: e.prefix } : {}),
    ...(e.maxFileMb !== null ? { maxFileMb: e.maxFileMb } : {}),
    ...(e.format === 'xml' ? { xmlLayout: e.xmlLayout } : {}),
    ...(e.type === 'all_profiles' && e.frequency === 'recurring' ? { profileMode: e.profileMode } : {}),
    status: e.status,
    ...(e.error ? { error: e.error } : {}),
    ...exportWarning(runs),
    ...(e.pausedAt ? { pausedAt: e.pausedAt.toISOString() } : {}),
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
    runs: runs.map((r) =>
      presentRun(
        r,
        files.filter((f) => f.runId === r.id),
      ),
    ),
  };
}

/**
 * The export's warning: that of its latest run that has one (a window short or at risk, said where the export is listed
 * too).
 */
function exportWarning(runs: ExportRun[]): { warning?: string } {
  const latest = runs.filter((r) => r.warning).sort((a, b) => b.windowStart.getTime() - a.windowStart.getTime())[0];
  return latest?.warning ? { warning: latest.warning } : {};
}

export function presentRun(r: ExportRun, files: ExportFile[]) {
  return {
    id: r.id,
    windowStart: r.windowStart.toISOString(),
    windowEnd: r.windowEnd.toISOString(),
    status: r.status,
    attempt: r.attempt,
    rowsExtracted: r.rowsExtracted,
    rowsRejected: r.rowsRejected,
    rowsWritten: r.rowsWritten,
    bytesWritten: r.bytesWritten,
    filesCount: r.filesCount,
    ...(r.error ? { error: r.error } : {}),
    ...(r.warning ? { warning: r.warning } : {}),
    ...(r.nextAttemptAt ? { nextAttemptAt: r.nextAttemptAt.toISOString() } : {}),
    startedAt: r.startedAt?.toISOString() ?? null,
    finishedAt: r.finishedAt?.toISOString() ?? null,
    files: files.map((f) => ({
      name: f.objectName,
      eventName: f.eventName,
      day: f.day,
      index: f.fileIndex,
      rows: f.rows,
      bytes: f.bytes,
      crc32c: f.crc32c,
    })),
  };
}
