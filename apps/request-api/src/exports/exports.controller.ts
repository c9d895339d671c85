import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CreateExportRequest } from '@bulk-export/contracts';
import { Account } from '@bulk-export/persistence';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { CurrentAccount } from '../auth/current-account.decorator';
import { IdParam } from '../http/id.pipe';
import { PageQuery } from '../http/page.query';
import { CreateExportUseCase } from './create-export.use-case';
import { presentExport, presentRun } from './export.presenter';
import { GetExportUseCase } from './get-export.use-case';
import { ListExportsUseCase } from './list-exports.use-case';
import { ListRunsUseCase } from './list-runs.use-case';
import { ResumeExportUseCase } from './resume-export.use-case';
import { RetryRunUseCase } from './retry-run.use-case';
import { StopExportUseCase } from './stop-export.use-case';

@ApiTags('exports')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'No or unknown API key (`unauthenticated`).' })
@ApiResponse({ status: 429, description: 'Too many requests with this key (`rate_limited`); see Retry-After.' })
@Controller('v1/exports')
@UseGuards(ApiKeyGuard)
export class ExportsController {
  constructor(
    private readonly createExport: CreateExportUseCase,
    private readonly stopExport: StopExportUseCase,
    private readonly retryRun: RetryRunUseCase,
    private readonly resumeExport: ResumeExportUseCase,
    private readonly listExports: ListExportsUseCase,
    private readonly getExport: GetExportUseCase,
    private readonly listRunsOf: ListRunsUseCase,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create an export (one-time or recurring).' })
  @ApiResponse({ status: 201, description: 'The export, `pending`.' })
  @ApiResponse({
    status: 400,
    description:
      'A field is missing, unknown or invalid (`invalid_request`, `invalid_field`, `window_too_old`, `window_reversed`, `window_in_future`); the field is named.',
  })
  @ApiResponse({ status: 404, description: 'The credentials do not exist for this account.' })
  @ApiResponse({
    status: 409,
    description: 'A one-time profile export while a recurring profile export is scheduled (`conflict`).',
  })
  async create(@CurrentAccount() account: Account, @Body() body: CreateExportRequest) {
    return presentExport(await this.createExport.execute({ ...body, accountId: account.id }));
  }

  /** The Activity Log: newest first, paginated by cursor. */
  @Get()
  @ApiOperation({ summary: 'The Activity Log: exports, newest first, with their runs.' })
  @ApiResponse({ status: 200, description: '`{ items, nextCursor }`' })
  async list(@CurrentAccount() account: Account, @Query() query: PageQuery) {
    const { items, nextCursor } = await this.listExports.execute({ accountId: account.id, page: query });
    return { items: items.map(({ exportRow, runs }) => presentExport(exportRow, runs)), nextCursor };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One export with its runs, rows, bytes and files.' })
  @ApiResponse({ status: 404, description: 'No such export for this account.' })
  async get(@CurrentAccount() account: Account, @Param('id', new IdParam('export')) id: string) {
    const { exportRow, runs, files } = await this.getExport.execute({ accountId: account.id, exportId: id });
    return presentExport(exportRow, runs, files);
  }

  /** Stops a recurring export. */
  @Post(':id/stop')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Stop a recurring export; a run under way finishes (without retries), runs not started end `cancelled`.',
  })
  @ApiResponse({ status: 404, description: 'No such export for this account.' })
  @ApiResponse({ status: 409, description: 'Not a recurring export.' })
  async stop(@CurrentAccount() account: Account, @Param('id', new IdParam('export')) id: string) {
    return presentExport(await this.stopExport.execute({ accountId: account.id, exportId: id }));
  }

  @Post(':id/resume')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Resume a recurring export that was paused after its runs kept failing; its credentials are validated again, then the windows it missed are exported.',
  })
  @ApiResponse({ status: 404, description: 'No such export for this account.' })
  @ApiResponse({ status: 409, description: 'The export is not paused (`conflict`).' })
  @ApiResponse({
    status: 422,
    description: 'Its credentials still fail (`invalid_service_key`, `bucket_not_found`, `bucket_not_writable`).',
  })
  async resume(@CurrentAccount() account: Account, @Param('id', new IdParam('export')) id: string) {
    return presentExport(await this.resumeExport.execute({ accountId: account.id, exportId: id }));
  }

  /** The runs of an export, newest first, paginated by cursor. */
  @Get(':id/runs')
  @ApiOperation({ summary: 'The runs of an export, newest first.' })
  @ApiResponse({ status: 404, description: 'No such export for this account.' })
  async listRuns(
    @CurrentAccount() account: Account,
    @Param('id', new IdParam('export')) id: string,
    @Query() query: PageQuery,
  ) {
    const { items, nextCursor } = await this.listRunsOf.execute({ accountId: account.id, exportId: id, page: query });
    return { items: items.map(({ run, files }) => presentRun(run, files)), nextCursor };
  }

  /** Retries a failed run by hand. */
  @Post(':id/runs/:runId/retry')
  @HttpCode(202)
  @ApiOperation({ summary: 'Retry a failed run now.' })
  @ApiResponse({ status: 404, description: 'No such export or run for this account.' })
  @ApiResponse({ status: 409, description: 'The run is not failed, or its export was stopped (`conflict`).' })
  async retry(
    @CurrentAccount() account: Account,
    @Param('id', new IdParam('export')) id: string,
    @Param('runId', new IdParam('run')) runId: string,
  ) {
    return presentRun(await this.retryRun.execute({ accountId: account.id, exportId: id, runId }), []);
  }
}
