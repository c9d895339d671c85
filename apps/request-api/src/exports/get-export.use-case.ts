import { Injectable } from '@nestjs/common';
import { NotFound } from '@bulk-export/domain';
import { Export, ExportFile, ExportRun, ExportsRepository } from '@bulk-export/persistence';

export interface GetExport {
  accountId: string;
  exportId: string;
}

/** One export of the account with its runs and their files; NotFound for another account's. */
@Injectable()
export class GetExportUseCase {
  constructor(private readonly exports: ExportsRepository) {}

  async execute({
    accountId,
    exportId,
  }: GetExport): Promise<{ exportRow: Export; runs: ExportRun[]; files: ExportFile[] }> {
    const exportRow = await this.exports.findForAccount(accountId, exportId);
    if (!exportRow) throw new NotFound('export', exportId);
    const runs = await this.exports.runsOf([exportRow.id]);
    const files = await this.exports.filesOf(runs.map((r) => r.id));
    return { exportRow, runs, files };
  }
}
