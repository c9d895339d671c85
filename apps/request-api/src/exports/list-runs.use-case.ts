import { Injectable } from '@nestjs/common';
import { NotFound } from '@bulk-export/domain';
import { ExportFile, ExportRun, ExportsRepository } from '@bulk-export/persistence';
import { Page, readPage } from '../http/page';
import { PageQuery } from '../http/page.query';

export interface ListRuns {
  accountId: string;
  exportId: string;
  page: PageQuery;
}

/** A page of an export's runs, newest first, each with its files; NotFound for another account's export. */
@Injectable()
export class ListRunsUseCase {
  constructor(private readonly exports: ExportsRepository) {}

  async execute({ accountId, exportId, page }: ListRuns): Promise<Page<{ run: ExportRun; files: ExportFile[] }>> {
    const exportRow = await this.exports.findForAccount(accountId, exportId);
    if (!exportRow) throw new NotFound('export', exportId);
    const { items, nextCursor } = await readPage(page, (limit, cursor) =>
      this.exports.runsPage(exportRow.id, limit, cursor),
    );
    const files = await this.exports.filesOf(items.map((r) => r.id));
    return { items: items.map((run) => ({ run, files: files.filter((f) => f.runId === run.id) })), nextCursor };
  }
}
