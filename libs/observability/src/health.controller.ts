import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { HEALTH_CHECKS, HealthCheck, LIVENESS_CHECKS, runChecks } from './health-check';

/** /health/live: the process and its workers run. /health/ready: its dependencies answer too. */
@Controller('health')
export class HealthController {
  constructor(
    @Inject(HEALTH_CHECKS) private readonly readiness: HealthCheck[],
    @Inject(LIVENESS_CHECKS) private readonly liveness: HealthCheck[],
  ) {}

  @Get('live')
  @HttpCode(200)
  async live(@Res({ passthrough: true }) res: Response): Promise<Record<string, unknown>> {
    return this.answer(res, await runChecks(this.liveness));
  }

  @Get('ready')
  async ready(@Res({ passthrough: true }) res: Response): Promise<Record<string, unknown>> {
    return this.answer(res, await runChecks([...this.liveness, ...this.readiness]));
  }

  private answer(res: Response, checks: Record<string, string>): Record<string, unknown> {
    const ok = Object.values(checks).every((v) => v === 'up');
    res.status(ok ? 200 : 503);
    return { status: ok ? 'up' : 'down', checks };
  }
}
