import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One processed heartbeat job: proof, visible in PostgreSQL, that scheduler, Redis and worker work together. */
// Defined in SQL (migration Foundation); TypeORM only maps it.
@Entity('worker_heartbeat', { synchronize: false })
export class WorkerHeartbeat {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  /** The BullMQ job id; unique, so a job delivered twice (at-least-once) leaves one row. */
  @Column({ name: 'job_id', type: 'text', unique: true })
  jobId: string;

  @Column({ type: 'text' })
  worker: string;

  @Column({ name: 'processed_at', type: 'timestamptz', default: () => 'now()' })
  processedAt: Date;
}
