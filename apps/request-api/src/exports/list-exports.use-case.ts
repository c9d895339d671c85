import { Injectable } from '@nestjs/common';
import { Export, ExportRun, ExportsRepository } from '@bulk-export/persistence';
import { Page, readPage } from '../http/page';
import { PageQuery } from '../http/page.query';

export interface ListExports {
  accountId: string;
  page: PageQuery;
}

/** The Activity Log: a page of the account's exports, newest first, each with its runs. */
@Injectable()
export class ListExportsUseCase {
  constructor(private readonly exports: ExportsRepository) {}

  async execute({ accountId, page }: ListExports): Promise<Page<{ exportRow: Export; runs: ExportRun[] }>> {
    const { items, nextCursor } = await readPage(page, (limit, cursor) =>
      this.exports.listForAccount(accountId, limit, cursor),
    );
    const runs = await this.exports.runsOf(items.map((e) => e.id));
    return {
      items: items.map((exportRow) => ({ exportRow, runs: runs.filter((r) => r.exportId === exportRow.id) })),
      nextCursor,
    };
  }
}
