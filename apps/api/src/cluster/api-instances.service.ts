import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { randomBytes } from 'node:crypto';
import type { Model } from 'mongoose';
import { AppConfigService } from '../config/app-config.service';
import { apiInstanceId } from '../mqtt/api-instance';
import { ApiInstance } from './api-instance.schema';

export interface InstanceCensus {
  /** Processes whose heartbeat is fresh. */
  liveProcesses: Set<string>;
  /** Instance ids with no live process and a stale heartbeat: their process died and has not come back. */
  goneInstances: Set<string>;
}

/**
 * Which API processes are alive: each writes a heartbeat every third of LEASE_TTL_S (one small
 * document per process, addressed by `_id`); one silent for LEASE_TTL_S is gone. A clean shutdown
 * leaves the document to go stale too, so a process that does not come back is noticed either way.
 */
@Injectable()
export class ApiInstances implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ApiInstances.name);
  readonly instanceId: string;
  /** This run of this process: the holder of its leases, the publisher of its deployments. */
  readonly processId: string;
  private readonly ttlMs: number;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @InjectModel(ApiInstance.name) private readonly model: Model<ApiInstance>,
    config: AppConfigService,
  ) {
    this.instanceId = apiInstanceId({ API_INSTANCE_ID: config.get('API_INSTANCE_ID'), PORT: config.get('PORT') });
    this.processId = `${this.instanceId}#${randomBytes(4).toString('hex')}`;
    this.ttlMs = config.get('LEASE_TTL_S') * 1000;
  }

  onApplicationBootstrap(): void {
    const beat = (): void => {
      this.model
        .updateOne({ _id: this.processId }, { $set: { instanceId: this.instanceId, heartbeatAt: new Date() } }, { upsert: true })
        .catch((error: Error) => this.logger.warn(`Heartbeat not written: ${error.message}`));
    };
    beat();
    this.timer = setInterval(beat, this.ttlMs / 3);
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async census(now = new Date()): Promise<InstanceCensus> {
    const all = await this.model.find({}).lean<ApiInstance[]>();
    const fresh = (instance: ApiInstance): boolean => now.getTime() - instance.heartbeatAt.getTime() < this.ttlMs;
    const liveProcesses = new Set(all.filter(fresh).map((instance) => instance._id));
    const liveInstances = new Set(all.filter(fresh).map((instance) => instance.instanceId));
    const goneInstances = new Set(all.filter((instance) => !liveInstances.has(instance.instanceId)).map((instance) => instance.instanceId));
    return { liveProcesses, goneInstances };
  }

  /** Forgets the stale processes of an instance (after its broker session was taken care of). */
  async forget(instanceId: string, now = new Date()): Promise<void> {
    const stale = await this.model.find({ instanceId, heartbeatAt: { $lte: new Date(now.getTime() - this.ttlMs) } }, { _id: 1 }).lean<{ _id: string }[]>();
    for (const { _id } of stale) await this.model.deleteOne({ _id, heartbeatAt: { $lte: new Date(now.getTime() - this.ttlMs) } });
  }
}
