/**
 * Background ingest jobs: a long list of documents upserted in batches while the client polls
 * progress. A batch that fails is retried item by item, so one bad document is reported and the rest
 * still land.
 *
 * A job is durable when its 202 is sent: its report and items are in the relational store
 * (job-store.ts), so any replica answers `GET /v1/jobs/{jobId}`. The replica that accepted it works on
 * it under a lease, recording progress about once a second; a replica that stops (shutdown, crash) leaves
 * the rest to whoever claims the job once the lease has run out: another replica, or the same service
 * restarted (in local mode, where one process owns the database, a start takes its jobs back at once).
 */
import { randomUUID } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Static } from 'typebox';
import { AppError, isAppError } from '../errors.js';
import type { Log } from '../log.js';
import type { JobSchema } from '../schemas/vectors.js';
import type { JobStore } from './job-store.js';
import type { DocumentInput, VectorService } from './service.js';

/** A job as `GET /v1/jobs/{jobId}` answers it. */
export type Job = Static<typeof JobSchema>;
export type JobStatus = Job['status'];

export interface JobSettings {
  /** Jobs this replica works on at once. */
  maxRunning: number;
  /** Of those, per owner. */
  maxRunningPerOwner: number;
  /** How long a replica holds a job without recording progress before another may take it over. */
  leaseMs: number;
  /** How long a finished job's report is kept. */
  retentionMs: number;
}

export interface JobRunner {
  /** Stores the job, then starts it; 429 RATE_LIMITED (and Retry-After) when the owner or this replica runs its most. */
  submit(projectId: string, collection: string, items: DocumentInput[], owner?: string): Promise<Job>;
  get(jobId: string): Promise<Job>;
  /** The jobs this replica has worked on lately (for metrics; no database read). */
  list(): readonly Job[];
  /** Takes back the jobs left unfinished (at start), then keeps claiming unheld ones. */
  start(): Promise<void>;
  /** Stops every job after its current batch and gives it back for another replica or the next start. */
  drain(): Promise<void>;
}

const BATCH_SIZE = 50;
/** Jobs this replica remembers for metrics; the oldest finished ones are forgotten first. */
const KEPT_JOBS = 1000;
/** Errors listed per job; the count in `failed` stays exact. */
const KEPT_ERRORS = 100;
/** At most this long between a running job's progress writes (less when the lease is shorter). */
const PROGRESS_EVERY_MS = 1000;
/** Seconds a refused submitter is told to wait: about one batch-heavy job's worth. */
const RETRY_AFTER_SECONDS = 10;

export interface JobRunnerOptions {
  log?: Pick<Log, 'warn'>;
  /** This process alone uses the database (SQLite): leases left by an earlier run of it are void at start. */
  exclusive: boolean;
}

export function createJobRunner(vectors: VectorService, store: JobStore, settings: JobSettings, options: JobRunnerOptions): JobRunner {
  const { log } = options;
  /** This replica's name on the leases it holds. */
  const holder = randomUUID();
  const recent = new Map<string, Job>();
  const running = new Map<string, Promise<void>>();
  /** Jobs running here, per owner. */
  const active = new Map<string, number>();
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | undefined;

  const leaseEnd = () => Date.now() + settings.leaseMs;
  /** How often a running job records its progress, which also extends its lease. */
  const progressEveryMs = Math.min(PROGRESS_EVERY_MS, settings.leaseMs / 3);

  function remember(job: Job): void {
    recent.set(job.jobId, job);
    for (const [jobId, kept] of recent) {
      if (recent.size <= KEPT_JOBS) break;
      if (kept.status === 'succeeded' || kept.status === 'failed') recent.delete(jobId);
    }
  }

  function recordFailure(job: Job, id: string, error: unknown): void {
    job.failed++;
    if (job.errors.length < KEPT_ERRORS) {
      job.errors.push(isAppError(error) ? { id, code: error.code, message: error.message } : { id, code: 'INTERNAL_ERROR', message: 'internal error' });
    }
    if (!isAppError(error)) log?.warn({ err: error, jobId: job.jobId, id }, 'ingest item failed');
  }

  async function upsertBatch(job: Job, batch: DocumentInput[]): Promise<void> {
    try {
      await vectors.upsert(job.projectId, job.collection, batch);
    } catch (batchError) {
      // An outage fails every item the same way: report it once per batch rather than hammering the provider.
      if (isAppError(batchError) && batchError.statusCode === 503) {
        for (const item of batch) recordFailure(job, item.id, batchError);
        return;
      }
      for (const item of batch) {
        try {
          await vectors.upsert(job.projectId, job.collection, [item]);
        } catch (itemError) {
          recordFailure(job, item.id, itemError);
        }
      }
    }
  }

  /** Works on a job this replica holds, from its first unrecorded batch, until it ends, the lease is lost, or the service stops. */
  async function run(job: Job): Promise<void> {
    job.status = 'running';
    const started = performance.now();
    const processedBefore = job.processed;
    let recordedAt = Date.now();
    while (job.processed < job.total) {
      // Stopping: the progress so far, with the lease given back, for another replica or the next start.
      if (stopping) return void (await store.progress(job, holder, 0));
      // Batches are full but the last: the next one to do is the processed count's.
      const batch = await store.batch(job.jobId, Math.floor(job.processed / BATCH_SIZE));
      if (batch.length === 0) {
        job.errors.push({ id: '', code: 'INTERNAL_ERROR', message: 'the rest of the job is missing from the database' });
        break;
      }
      await upsertBatch(job, batch);
      job.processed += batch.length;
      const perItem = (performance.now() - started) / 1000 / (job.processed - processedBefore);
      job.etaSeconds = Math.round(perItem * (job.total - job.processed) * 10) / 10;
      // Progress is recorded about once a second, not per batch: each write is a commit (an fsync on SQLite). A
      // replica taking over redoes the batches done since (upserts by id: one copy each) and counts them once.
      if (job.processed < job.total && Date.now() - recordedAt >= progressEveryMs) {
        // False: another replica took the job over (this one stalled past its lease).
        if (!(await store.progress(job, holder, leaseEnd()))) return;
        recordedAt = Date.now();
      }
      // An embedded store and the local embedder complete synchronously: without this turn the whole job would run
      // in one go and every other request (and /health) would wait for it.
      await nextTurn();
    }
    // Succeeded: every item was tried and at least one landed; the failures are listed.
    job.status = job.processed === job.total && (job.failed < job.total || job.total === 0) ? 'succeeded' : 'failed';
    job.etaSeconds = 0;
    job.finishedAt = new Date().toISOString();
    await store.finish(job, holder);
  }

  /** Takes a place for a job before any await, so that concurrent submissions and claims cannot all pass the limits. */
  function reserve(jobId: string, owner: string): void {
    running.set(jobId, Promise.resolve());
    active.set(owner, (active.get(owner) ?? 0) + 1);
  }

  function unreserve(jobId: string, owner: string): void {
    running.delete(jobId);
    const left = (active.get(owner) ?? 1) - 1;
    if (left === 0) active.delete(owner);
    else active.set(owner, left);
  }

  /** Runs a reserved job in the background. */
  function begin(job: Job, owner: string): void {
    remember(job);
    // Start on the next turn so that a submission's 202 answers first.
    const task = nextTurn()
      .then(() => run(job))
      .catch((error: unknown) => {
        // The database or the store failed between batches: the lease runs out and a replica resumes the job.
        log?.warn({ err: error, jobId: job.jobId }, 'ingest job stopped; it resumes once its lease runs out');
      })
      .finally(() => unreserve(job.jobId, owner));
    running.set(job.jobId, task);
  }

  /** Claims jobs nobody holds (left by a stopped replica), as many as this replica has room for, and forgets old reports. */
  async function tick(): Promise<void> {
    const now = Date.now();
    for (const jobId of await store.unheld(now, Math.max(0, settings.maxRunning - running.size))) {
      if (stopping || running.size >= settings.maxRunning) break;
      // Its lease ran out while this replica still works on it (a long batch): another replica may take it, not this one again.
      if (running.has(jobId)) continue;
      const job = await store.get(jobId);
      if (!job || (active.get(job.owner) ?? 0) >= settings.maxRunningPerOwner) continue;
      const { owner, ...report } = job;
      reserve(jobId, owner);
      let claimed = false;
      try {
        claimed = await store.claim(jobId, holder, leaseEnd(), now);
      } finally {
        if (!claimed) unreserve(jobId, owner);
      }
      if (claimed) begin(report, owner);
    }
    await store.purge(new Date(now - settings.retentionMs).toISOString());
  }

  function scheduleTick(): void {
    if (stopping || ticking) return;
    ticking = tick()
      .catch((error: unknown) => log?.warn({ err: error }, 'could not look for ingest jobs to resume'))
      .finally(() => {
        ticking = undefined;
      });
  }

  return {
    async submit(projectId, collection, items, owner = 'anonymous') {
      if (stopping) throw new AppError('PROVIDER_UNAVAILABLE', 'the service is shutting down', { retryAfter: 5 });
      const mine = active.get(owner) ?? 0;
      if (mine >= settings.maxRunningPerOwner) {
        throw new AppError(
          'RATE_LIMITED',
          `this key already runs ${mine} ingest jobs, the most at once (JOBS_MAX_RUNNING_PER_KEY); retry when one has finished`,
          { retryAfter: RETRY_AFTER_SECONDS },
        );
      }
      if (running.size >= settings.maxRunning) {
        throw new AppError('RATE_LIMITED', `the service already runs ${running.size} ingest jobs, the most at once (JOBS_MAX_RUNNING); retry later`, {
          retryAfter: RETRY_AFTER_SECONDS,
        });
      }
      const job: Job = {
        jobId: randomUUID(),
        projectId,
        collection,
        status: 'queued',
        processed: 0,
        total: items.length,
        failed: 0,
        etaSeconds: null,
        errors: [],
        createdAt: new Date().toISOString(),
      };
      const batches: DocumentInput[][] = [];
      for (let start = 0; start < items.length; start += BATCH_SIZE) batches.push(items.slice(start, start + BATCH_SIZE));
      reserve(job.jobId, owner);
      try {
        await store.create(job, owner, batches, holder, leaseEnd());
      } catch (error) {
        unreserve(job.jobId, owner);
        throw error;
      }
      begin(job, owner);
      return job;
    },

    async get(jobId) {
      // A job running here is fresher in memory than its last recorded progress.
      const local = running.has(jobId) ? recent.get(jobId) : undefined;
      if (local) return local;
      const job = await store.get(jobId);
      if (!job) throw new AppError('JOB_NOT_FOUND', `job ${JSON.stringify(jobId)} not found (finished jobs are kept for JOBS_RETENTION_HOURS)`);
      const { owner: _owner, ...report } = job;
      return report;
    },

    list: () => [...recent.values()],

    async start() {
      if (options.exclusive) await store.releaseAll();
      scheduleTick();
      await ticking;
      timer = setInterval(scheduleTick, Math.max(100, settings.leaseMs / 3));
      timer.unref();
    },

    async drain() {
      stopping = true;
      clearInterval(timer);
      await ticking;
      await Promise.all(running.values());
    },
  };
}
