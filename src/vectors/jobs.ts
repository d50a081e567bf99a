/**
 * Background ingest jobs: a long list of documents upserted in batches while
 * the client polls progress. A batch that fails is retried item by item, so
 * one bad document is reported and the rest still land.
 *
 * Jobs live in this process's memory: they are progress reports, not the
 * data. A restart loses the report, never an acknowledged write (each batch
 * is durable when the store's upsert resolves); a client that lost its job
 * simply submits again (upserts are idempotent).
 */
import { randomUUID } from 'node:crypto';
import { AppError, isAppError } from '../errors.js';
import type { Static } from 'typebox';
import type { JobSchema } from '../schemas/vectors.js';
import type { Log } from '../log.js';
import type { DocumentInput, VectorService } from './service.js';

/** A job as `GET /v1/jobs/{jobId}` answers it. */
export type Job = Static<typeof JobSchema>;
export type JobStatus = Job['status'];

export interface JobLimits {
  /** Jobs queued or running at once, in this service. */
  maxRunning: number;
  /** Of those, per owner. */
  maxRunningPerOwner: number;
}

export interface JobRunner {
  /** Starts a job, or refuses with 429 RATE_LIMITED (and Retry-After) when the owner or the service runs its most. */
  submit(projectId: string, collection: string, items: DocumentInput[], owner?: string): Job;
  get(jobId: string): Job;
  /** Every job kept in memory (for metrics). */
  list(): readonly Job[];
  /** Resolves when every job has finished its current batch and stopped (shutdown). */
  drain(): Promise<void>;
}

const BATCH_SIZE = 50;
/** Finished jobs kept for polling; the oldest are forgotten first. */
const KEPT_JOBS = 1000;
/** Errors listed per job; the count in `failed` stays exact. */
const KEPT_ERRORS = 100;

/** Seconds a refused submitter is told to wait: about one batch-heavy job's worth. */
const RETRY_AFTER_SECONDS = 10;

export function createJobRunner(vectors: VectorService, limits: JobLimits, log?: Pick<Log, 'warn'>): JobRunner {
  const jobs = new Map<string, Job>();
  const running = new Set<Promise<void>>();
  /** Jobs queued or running, per owner. */
  const active = new Map<string, number>();
  let stopping = false;

  function forgetOldJobs(): void {
    for (const [jobId, job] of jobs) {
      if (jobs.size <= KEPT_JOBS) break;
      if (job.status === 'succeeded' || job.status === 'failed') jobs.delete(jobId);
    }
  }

  function recordFailure(job: Job, id: string, error: unknown): void {
    job.failed++;
    if (job.errors.length < KEPT_ERRORS) {
      job.errors.push(isAppError(error) ? { id, code: error.code, message: error.message } : { id, code: 'INTERNAL_ERROR', message: 'internal error' });
    }
    if (!isAppError(error)) log?.warn({ err: error, jobId: job.jobId, id }, 'ingest item failed');
  }

  async function run(job: Job, items: DocumentInput[]): Promise<void> {
    job.status = 'running';
    const started = performance.now();
    for (let start = 0; start < items.length && !stopping; start += BATCH_SIZE) {
      const batch = items.slice(start, start + BATCH_SIZE);
      try {
        await vectors.upsert(job.projectId, job.collection, batch);
      } catch (batchError) {
        // An outage fails every item the same way: report it once per batch rather than hammering the provider.
        if (isAppError(batchError) && batchError.statusCode === 503) {
          for (const item of batch) recordFailure(job, item.id, batchError);
        } else {
          for (const item of batch) {
            try {
              await vectors.upsert(job.projectId, job.collection, [item]);
            } catch (itemError) {
              recordFailure(job, item.id, itemError);
            }
          }
        }
      }
      job.processed += batch.length;
      const perItem = (performance.now() - started) / 1000 / job.processed;
      job.etaSeconds = Math.round(perItem * (job.total - job.processed) * 10) / 10;
      // An embedded store and the local embedder complete synchronously, so without this turn the whole
      // job would run in one go and every other request (and /health) would wait for it.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const complete = job.processed === job.total;
    // Succeeded: every item was tried and at least one landed; the failures are listed.
    job.status = complete && (job.failed < job.total || job.total === 0) ? 'succeeded' : 'failed';
    if (!complete) {
      job.errors.push({ id: '', code: 'PROVIDER_UNAVAILABLE', message: 'the service stopped before the job finished; submit the remaining items again' });
    }
    job.etaSeconds = 0;
    job.finishedAt = new Date().toISOString();
  }

  return {
    submit(projectId, collection, items, owner = 'anonymous') {
      if (stopping) throw new AppError('PROVIDER_UNAVAILABLE', 'the service is shutting down', { retryAfter: 5 });
      const mine = active.get(owner) ?? 0;
      if (mine >= limits.maxRunningPerOwner) {
        throw new AppError(
          'RATE_LIMITED',
          `this key already runs ${mine} ingest jobs, the most at once (JOBS_MAX_RUNNING_PER_KEY); retry when one has finished`,
          { retryAfter: RETRY_AFTER_SECONDS },
        );
      }
      if (running.size >= limits.maxRunning) {
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
      jobs.set(job.jobId, job);
      forgetOldJobs();
      // Start on the next turn so the 202 answers first.
      const task = new Promise<void>((resolve) => setImmediate(resolve)).then(() => run(job, items));
      running.add(task);
      active.set(owner, mine + 1);
      void task.finally(() => {
        running.delete(task);
        const left = (active.get(owner) ?? 1) - 1;
        if (left === 0) active.delete(owner);
        else active.set(owner, left);
      });
      return job;
    },

    get(jobId) {
      const job = jobs.get(jobId);
      if (!job) throw new AppError('JOB_NOT_FOUND', `job ${JSON.stringify(jobId)} not found (jobs are kept in memory until the service restarts)`);
      return job;
    },

    list: () => [...jobs.values()],

    async drain() {
      stopping = true;
      await Promise.all(running);
    },
  };
}
