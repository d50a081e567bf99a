/**
 * Where ingest jobs live: two tables of the relational store (migration 4), so a job outlives the replica
 * that accepted it. A job row is its report (what `GET /v1/jobs/{jobId}` answers) and its lease: the
 * replica working on it (`lease_holder`) and until when (`lease_until`, epoch ms). A replica keeps its
 * lease by writing progress; once the lease has run out, any replica may claim the job with one
 * conditional UPDATE (the database decides who wins) and resumes after the last progress recorded. The
 * items wait in `ingest_job_batches`, one row per batch, and are deleted when the job finishes.
 *
 * Every write of a holder names the lease it holds: a replica that lost its job to another (it stalled
 * past its lease) changes nothing, and stops. Batches done since the last recorded progress are done
 * again by the new holder; upserts are idempotent and the counts come from the recorded progress only,
 * so they stay exact.
 */
import { decodeJson } from '../relational/codec.js';
import { AD_HOC_MARK, type SqlClient } from '../relational/port.js';
import type { Job } from './jobs.js';
import type { DocumentInput } from './service.js';

export interface JobStore {
  /** Writes the job, held by `holder` until `leaseUntil`, with its items in batches: all or nothing. */
  create(job: Job, owner: string, batches: DocumentInput[][], holder: string, leaseUntil: number): Promise<void>;
  get(jobId: string): Promise<(Job & { owner: string }) | null>;
  /** The items of one batch (numbered from 0). */
  batch(jobId: string, index: number): Promise<DocumentInput[]>;
  /** Records progress and sets the lease's end (0 gives the job up); false when `holder` no longer holds the job. */
  progress(job: Job, holder: string, leaseUntil: number): Promise<boolean>;
  /** Records the end (status, finishedAt: set) and drops the items; false when `holder` no longer holds the job. */
  finish(job: Job, holder: string): Promise<boolean>;
  /** Jobs not finished whose lease has run out, oldest first. */
  unheld(now: number, limit: number): Promise<string[]>;
  /** Takes an unheld job; false when another replica took it first (or it finished). */
  claim(jobId: string, holder: string, leaseUntil: number, now: number): Promise<boolean>;
  /** Ends every lease: only when this process alone uses the database (local mode, at start). */
  releaseAll(): Promise<void>;
  /** Removes the jobs finished before `finishedBefore` (an ISO-8601 UTC time, as `finishedAt`); returns how many. */
  purge(finishedBefore: string): Promise<number>;
}

const UNFINISHED = "status IN ('queued', 'running')";
const COLUMNS = 'job_id, project_id, collection, owner, status, total, processed, failed, errors, eta_seconds, created_at, finished_at';

function toJob(row: Record<string, unknown>): Job & { owner: string } {
  return {
    jobId: String(row.job_id),
    projectId: String(row.project_id),
    collection: String(row.collection),
    owner: String(row.owner),
    status: row.status as Job['status'],
    // PostgreSQL's BIGINT comes back as a string.
    total: Number(row.total),
    processed: Number(row.processed),
    failed: Number(row.failed),
    errors: decodeJson(row.errors) as Job['errors'],
    etaSeconds: row.eta_seconds === null ? null : Number(row.eta_seconds),
    createdAt: String(row.created_at),
    ...(row.finished_at === null ? {} : { finishedAt: String(row.finished_at) }),
  };
}

export function createJobStore(db: SqlClient): JobStore {
  const json = db.dialect.jsonParameter;
  const encode = (value: unknown) => db.dialect.encodeJson(value);

  return {
    async create(job, owner, batches, holder, leaseUntil) {
      await db.transaction(async (tx) => {
        await tx.run(`INSERT INTO ingest_jobs (${COLUMNS}, lease_holder, lease_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ${json}, ?, ?, NULL, ?, ?)`, [
          job.jobId,
          job.projectId,
          job.collection,
          owner,
          job.status,
          job.total,
          job.processed,
          job.failed,
          encode(job.errors),
          job.etaSeconds,
          job.createdAt,
          holder,
          leaseUntil,
        ]);
        // As few statements as the dialect's parameter limit allows (one for any job a request body can carry), not
        // one round trip per batch; their texts vary with the count, so no plan is kept for them.
        const perStatement = Math.floor(tx.dialect.maxParameters / 3);
        for (let first = 0; first < batches.length; first += perStatement) {
          const rows = batches.slice(first, first + perStatement);
          await tx.run(
            `${AD_HOC_MARK} INSERT INTO ingest_job_batches (job_id, batch, items) VALUES ${rows.map(() => `(?, ?, ${json})`).join(', ')}`,
            rows.flatMap((items, offset) => [job.jobId, first + offset, encode(items)]),
          );
        }
      });
    },

    async get(jobId) {
      const [row] = await db.query(`SELECT ${COLUMNS} FROM ingest_jobs WHERE job_id = ?`, [jobId]);
      return row ? toJob(row) : null;
    },

    async batch(jobId, index) {
      const [row] = await db.query('SELECT items FROM ingest_job_batches WHERE job_id = ? AND batch = ?', [jobId, index]);
      return row ? (decodeJson(row.items) as DocumentInput[]) : [];
    },

    async progress(job, holder, leaseUntil) {
      const changed = await db.run(
        `UPDATE ingest_jobs SET status = ?, processed = ?, failed = ?, errors = ${json}, eta_seconds = ?, lease_until = ? WHERE job_id = ? AND lease_holder = ?`,
        [job.status, job.processed, job.failed, encode(job.errors), job.etaSeconds, leaseUntil, job.jobId, holder],
      );
      return changed === 1;
    },

    async finish(job, holder) {
      return db.transaction(async (tx) => {
        const changed = await tx.run(
          `UPDATE ingest_jobs SET status = ?, processed = ?, failed = ?, errors = ${json}, eta_seconds = 0, finished_at = ?, lease_holder = NULL, lease_until = 0
           WHERE job_id = ? AND lease_holder = ?`,
          [job.status, job.processed, job.failed, encode(job.errors), job.finishedAt!, job.jobId, holder],
        );
        if (changed !== 1) return false;
        await tx.run('DELETE FROM ingest_job_batches WHERE job_id = ?', [job.jobId]);
        return true;
      });
    },

    async unheld(now, limit) {
      const rows = await db.query(`SELECT job_id FROM ingest_jobs WHERE ${UNFINISHED} AND lease_until < ? ORDER BY created_at, job_id LIMIT ${Number(limit)}`, [
        now,
      ]);
      return rows.map((row) => String(row.job_id));
    },

    async claim(jobId, holder, leaseUntil, now) {
      const changed = await db.run(`UPDATE ingest_jobs SET lease_holder = ?, lease_until = ? WHERE job_id = ? AND ${UNFINISHED} AND lease_until < ?`, [
        holder,
        leaseUntil,
        jobId,
        now,
      ]);
      return changed === 1;
    },

    async releaseAll() {
      await db.run(`UPDATE ingest_jobs SET lease_holder = NULL, lease_until = 0 WHERE ${UNFINISHED}`);
    },

    async purge(finishedBefore) {
      return db.run('DELETE FROM ingest_jobs WHERE finished_at < ?', [finishedBefore]);
    },
  };
}
