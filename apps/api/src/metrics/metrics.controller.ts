import { Controller, Get, Header, Query, Res, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../auth/public.decorator';
import { MetricsAccessGuard } from './metrics-access.guard';
import { MetricsService } from './metrics.service';

const MAX_NAMES_PER_SCRAPE = 20;

// Public for the login guard: MetricsAccessGuard takes the scraper's token or a super user's login.
@Public()
@UseGuards(MetricsAccessGuard)
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  /**
   * Every metric, or with `?name=a&name=b` only those (unknown names are skipped): a gauge counted
   * in the database (um_gateways) is then not counted for a scrape that does not want it.
   */
  @Get()
  @Header('Cache-Control', 'no-store')
  async scrape(@Res() res: Response, @Query('name') name?: unknown): Promise<void> {
    const { registry } = this.metrics;
    if (name === undefined) {
      res.type(registry.contentType).send(await registry.metrics());
      return;
    }
    // Looked up in a Set: the registry keeps metrics in a plain object, where `constructor` is found too.
    const known = new Set(registry.getMetricsAsArray().map((metric) => metric.name));
    const names = [...new Set([name].flat())].filter((one): one is string => typeof one === 'string' && known.has(one));
    const texts = await Promise.all(names.slice(0, MAX_NAMES_PER_SCRAPE).map((one) => registry.getSingleMetricAsString(one)));
    res.type(registry.contentType).send(texts.map((text) => `${text}\n`).join(''));
  }
}
