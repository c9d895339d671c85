import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { CreateExportRequest } from '@bulk-export/contracts';
import { ID_REGEX, NotFound } from '@bulk-export/domain';
import { Account, ExportsRepository, RunsRepository } from '@bulk-export/persistence';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { CurrentAccount } from '../auth/current-account.decorator';
import { CreateExportUseCase } from './create-export.use-case';
import { presentExport, presentRun } from './export.presenter';
import { RetryRunUseCase } from './retry-run.use-case';
import { StopExportUseCase } from './stop-export.use-case';

export class ListExportsQuery {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  /** The `nextCursor` of the previous page. */
  @IsOptional()
  @Matches(ID_REGEX, { message: 'cursor must be the nextCursor of a previous page' })
  cursor?: string;
}

@Controller('v1/exports')
@UseGuards(ApiKeyGuard)
export class ExportsController {
  constructor(
    private readonly createExport: CreateExportUseCase,
    private readonly stopExport: StopExportUseCase,
    private readonly retryRun: RetryRunUseCase,
    private readonly exports: ExportsRepository,
    private readonly runs: RunsRepository,
  ) {}

  @Post()
  @HttpCode(201)
  async create(@CurrentAccount() account: Account, @Body() body: CreateExportRequest) {
    return presentExport(await this.createExport.execute({ ...body, accountId: account.id }));
  }

  /** The Activity Log: newest first, paginated by cursor. */
  @Get()
  async list(@CurrentAccount() account: Account, @Query() query: ListExportsQuery) {
    const limit = query.limit ?? 20;
    const page = await this.exports.listForAccount(account.id, limit + 1, query.cursor);
    const items = page.slice(0, limit);
    const runs = await this.exports.runsOf(items.map((e) => e.id));
    return {
      items: items.map((e) => presentExport(e, runs.filter((r) => r.exportId === e.id))),
      nextCursor: page.length > limit ? items[items.length - 1].id : null,
    };
  }

  @Get(':id')
  async get(@CurrentAccount() account: Account, @Param('id') id: string) {
    const exportRow = ID_REGEX.test(id) ? await this.exports.findForAccount(account.id, id) : null;
    if (!exportRow) throw new NotFound('export', id);
    const runs = await this.exports.runsOf([exportRow.id]);
    const files = await this.exports.filesOf(runs.map((r) => r.id));
    return presentExport(exportRow, runs, files);
  }

  /** Stops a recurring export. */
  @Post(':id/stop')
  @HttpCode(200)
  async stop(@CurrentAccount() account: Account, @Param('id') id: string) {
    if (!ID_REGEX.test(id)) throw new NotFound('export', id);
    return presentExport(await this.stopExport.execute({ accountId: account.id, exportId: id }));
  }

  /** The runs of an export, newest first, paginated by cursor. */
  @Get(':id/runs')
  async listRuns(@CurrentAccount() account: Account, @Param('id') id: string, @Query() query: ListExportsQuery) {
    const exportRow = ID_REGEX.test(id) ? await this.exports.findForAccount(account.id, id) : null;
    if (!exportRow) throw new NotFound('export', id);
    const limit = query.limit ?? 20;
    const page = await this.runs.listForExport(exportRow.id, limit + 1, query.cursor);
    const items = page.slice(0, limit);
    const files = await this.exports.filesOf(items.map((r) => r.id));
    return {
      items: items.map((r) => presentRun(r, files.filter((f) => f.runId === r.id))),
      nextCursor: page.length > limit ? items[items.length - 1].id : null,
    };
  }

  /** Retries a failed run by hand. */
  @Post(':id/runs/:runId/retry')
  @HttpCode(202)
  async retry(@CurrentAccount() account: Account, @Param('id') id: string, @Param('runId') runId: string) {
    if (!ID_REGEX.test(id)) throw new NotFound('export', id);
    if (!ID_REGEX.test(runId)) throw new NotFound('run', runId);
    return presentRun(await this.retryRun.execute({ accountId: account.id, exportId: id, runId }), []);
  }
}
