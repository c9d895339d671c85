import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { ID_REGEX, NotFound } from '@bulk-export/domain';
import { Account, ExportsRepository } from '@bulk-export/persistence';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { CurrentAccount } from '../auth/current-account.decorator';
import { CreateExportDto } from './create-export.dto';
import { CreateExportUseCase } from './create-export.use-case';
import { presentExport } from './export.presenter';

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
    private readonly exports: ExportsRepository,
  ) {}

  @Post()
  @HttpCode(201)
  async create(@CurrentAccount() account: Account, @Body() body: CreateExportDto) {
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
}
