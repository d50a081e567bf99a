/**
 * The relational contract: every entity and call of DESIGN.md section 3,
 * through the HTTP API, against whichever relational provider `start` opens.
 * Run once per provider (SQLite and PostgreSQL).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { entities, features, patterns, workSessions, decisions, concepts } from '../../src/entities/registry.js';
import { minimalItem, sampleItem } from '../support/samples.js';

export interface ContractTarget {
  app: FastifyInstance;
  destroy(): Promise<void>;
}

const json = (response: { body: string }) => JSON.parse(response.body);
const enc = encodeURIComponent;

export function runRelationalContract(name: string, start: () => Promise<ContractTarget>): void {
  describe(`relational contract: ${name}`, () => {
    let target: ContractTarget;
    let app: FastifyInstance;
    before(async () => {
      target = await start();
      app = target.app;
    });
    after(async () => target.destroy());

    const put = (path: string, payload: unknown) => app.inject({ method: 'PUT', url: path, payload: payload as object });
    const get = (path: string) => app.inject({ method: 'GET', url: path });

    for (const entity of entities) {
      describe(`entity ${entity.name}`, () => {
        const project = `rt-${entity.name}`;
        const base = `/v1/projects/${project}/${entity.name}`;

        test('put, get, patch, delete round trip', async () => {
          const item = sampleItem(entity, 1);
          const key = String(item[entity.key]);
          const created = await put(`${base}/${enc(key)}`, item);
          assert.equal(created.statusCode, 200, created.body);
          const stored = json(created);
          for (const [field, value] of Object.entries(item)) assert.deepEqual(stored[field], value, `${field} round trip`);
          if (entity.timestamps.touched) assert.ok(Date.parse(stored[entity.timestamps.touched]) > Date.now() - 60_000);

          const fetched = await get(`${base}/${enc(key)}`);
          assert.equal(fetched.statusCode, 200);
          assert.deepEqual(json(fetched), stored);

          const changeField = Object.keys(entity.fields).find(
            (field) => field !== entity.key && entity.fields[field]!.kind === 'string' && !Object.values(entity.timestamps).includes(field),
          );
          if (changeField) {
            const patched = await app.inject({ method: 'PATCH', url: `${base}/${enc(key)}`, payload: { [changeField]: 'patched value' } });
            assert.equal(patched.statusCode, 200, patched.body);
            assert.equal(json(patched)[changeField], 'patched value');
            for (const [field, value] of Object.entries(item)) {
              if (field !== changeField) assert.deepEqual(json(patched)[field], value, `${field} kept by patch`);
            }
          }

          const removed = await app.inject({ method: 'DELETE', url: `${base}/${enc(key)}` });
          assert.equal(removed.statusCode, 204);
          assert.equal((await get(`${base}/${enc(key)}`)).statusCode, 404);
          assert.equal((await app.inject({ method: 'DELETE', url: `${base}/${enc(key)}` })).statusCode, 404);
          assert.equal((await app.inject({ method: 'PATCH', url: `${base}/${enc(key)}`, payload: {} })).statusCode, 404);
        });

        test('put keeps createdAt, fills defaults, replaces on re-put', async () => {
          const item = minimalItem(entity, 7);
          const key = String(item[entity.key]);
          const first = json(await put(`${base}/${enc(key)}`, item));
          for (const [field, spec] of Object.entries(entity.fields)) {
            if (spec.default !== undefined) assert.equal(first[field], spec.default, `default of ${field}`);
          }
          await new Promise((resolve) => setTimeout(resolve, 5));
          const { created, touched } = entity.timestamps;
          const second = json(await put(`${base}/${enc(key)}`, { ...item, ...(created ? { [created]: '2001-01-01T00:00:00.000Z' } : {}) }));
          if (created) assert.equal(second[created], first[created], 'created timestamp kept');
          if (touched) assert.ok(second[touched] > first[touched], 'touched timestamp moves');
          const count = json(await get(`${base}/count`));
          assert.equal(count.count, 1, 're-put replaces, never duplicates');
        });

        test('batch upserts all, list pages through every item once, counts agree', async () => {
          const batchProject = `batch-${entity.name}`;
          const batchBase = `/v1/projects/${batchProject}/${entity.name}`;
          const items = Array.from({ length: 57 }, (_unused, index) => sampleItem(entity, index, index % 3 === 0 ? 'x' : 'y'));
          const response = await app.inject({ method: 'POST', url: `${batchBase}/batch`, payload: { items } });
          assert.equal(response.statusCode, 200, response.body);
          assert.equal(json(response).upserted, 57);

          for (const sort of [undefined, ...entity.sortable.flatMap((field) => [field, `-${field}`]), entity.defaultSort.join(',')]) {
            const seen: string[] = [];
            let cursor: string | null = null;
            let pages = 0;
            do {
              const query = new URLSearchParams({ limit: '10', ...(sort ? { sort } : {}), ...(cursor ? { cursor } : {}) });
              const page = await get(`${batchBase}?${query}`);
              assert.equal(page.statusCode, 200, page.body);
              const body = json(page);
              seen.push(...body.items.map((row: Record<string, unknown>) => String(row[entity.key])));
              cursor = body.nextCursor ?? null;
              pages++;
            } while (cursor && pages < 20);
            assert.equal(seen.length, 57, `sort ${sort}: every row once`);
            assert.equal(new Set(seen).size, 57, `sort ${sort}: no duplicates`);
          }

          const all = json(await get(`${batchBase}?limit=1000`)).items as Array<Record<string, unknown>>;
          for (const [index, term] of entity.defaultSort.entries()) {
            if (index > 0) break;
            const field = term.replace(/^-/, '');
            const values = all.map((row) => row[field] as string | number);
            const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
            if (term.startsWith('-')) sorted.reverse();
            assert.deepEqual(values, sorted, `default order by ${term}`);
          }

          assert.equal(json(await get(`${batchBase}/count`)).count, 57);
          for (const filter of entity.filters) {
            const value = items[0]![filter];
            const expected = items.filter((item) => item[filter] === value).length;
            const query = new URLSearchParams({ [filter]: String(value) });
            assert.equal(json(await get(`${batchBase}/count?${query}`)).count, expected, `count filtered by ${filter}`);
            const listed = json(await get(`${batchBase}?${query}&limit=1000`)).items;
            assert.equal(listed.length, expected, `list filtered by ${filter}`);
            assert.ok(listed.every((row: Record<string, unknown>) => row[filter] === value));
          }
          for (const groupBy of entity.groupBy) {
            const counted = json(await get(`${batchBase}/count?groupBy=${groupBy}`));
            const expected = new Map<unknown, number>();
            for (const item of items) expected.set(item[groupBy] ?? null, (expected.get(item[groupBy] ?? null) ?? 0) + 1);
            assert.equal(counted.groups.length, expected.size);
            for (const group of counted.groups) assert.equal(group.count, expected.get(group.key), `group ${group.key}`);
          }
          if (entity.searchField) {
            const needle = String(items[5]![entity.searchField]).toUpperCase();
            const found = json(await get(`${batchBase}?q=${enc(needle)}`)).items;
            assert.ok(
              found.some((row: Record<string, unknown>) => row[entity.key] === items[5]![entity.key]),
              'q finds case-insensitively',
            );
          }
        });

        test('a batch with one invalid item writes nothing', async () => {
          const batchBase = `/v1/projects/atomic-${entity.name}/${entity.name}`;
          const items = [sampleItem(entity, 1), sampleItem(entity, 2), { ...sampleItem(entity, 3), unexpectedField: 1 }];
          const response = await app.inject({ method: 'POST', url: `${batchBase}/batch`, payload: { items } });
          assert.equal(response.statusCode, 400);
          assert.equal(json(response).code, 'VALIDATION_FAILED');
          assert.equal(json(await get(`${batchBase}/count`)).count, 0);
        });
      });
    }

    test('patterns default to frequency then confidence, both descending', async () => {
      const base = `/v1/projects/order/patterns`;
      const rows = [
        { patternId: 'a', patternType: 't', patternContent: {}, frequency: 2, confidence: 0.1 },
        { patternId: 'b', patternType: 't', patternContent: {}, frequency: 9, confidence: 0.2 },
        { patternId: 'c', patternType: 't', patternContent: {}, frequency: 9, confidence: 0.9 },
        { patternId: 'd', patternType: 'u', patternContent: {}, frequency: 1, confidence: 1 },
      ];
      await app.inject({ method: 'POST', url: `${base}/batch`, payload: { items: rows } });
      assert.deepEqual(
        json(await get(base)).items.map((row: { patternId: string }) => row.patternId),
        ['c', 'b', 'a', 'd'],
      );
      assert.deepEqual(
        json(await get(`${base}?patternType=t&limit=2`)).items.map((row: { patternId: string }) => row.patternId),
        ['c', 'b'],
      );
    });

    test('features: active ones by name, and name search', async () => {
      const base = `/v1/projects/feat/${features.name}`;
      const rows = [
        { id: '1', featureName: 'Search', primaryFiles: ['s.ts'] },
        { id: '2', featureName: 'auth', primaryFiles: ['a.ts'] },
        { id: '3', featureName: 'Billing', primaryFiles: ['b.ts'], status: 'deprecated' },
        { id: '4', featureName: 'Authorization', primaryFiles: ['z.ts'] },
      ];
      await app.inject({ method: 'POST', url: `${base}/batch`, payload: { items: rows } });
      const active = json(await get(`${base}?status=active`)).items.map((row: { featureName: string }) => row.featureName);
      assert.deepEqual(active, ['Authorization', 'Search', 'auth']);
      const searched = json(await get(`${base}?q=AUTH`))
        .items.map((row: { id: string }) => row.id)
        .sort();
      assert.deepEqual(searched, ['2', '4']);
    });

    test('current work session: the open one with the latest start', async () => {
      const base = `/v1/projects/sess/${workSessions.name}`;
      assert.equal((await get(`${base}/current`)).statusCode, 404);
      await put(`${base}/old`, { sessionStart: '2026-01-01T00:00:00.000Z' });
      await put(`${base}/closed`, { sessionStart: '2026-03-01T00:00:00.000Z', sessionEnd: '2026-03-01T01:00:00.000Z' });
      await put(`${base}/latest`, { sessionStart: '2026-02-01T00:00:00.000Z', pendingTasks: ['x'] });
      const current = await get(`${base}/current`);
      assert.equal(current.statusCode, 200);
      assert.equal(json(current).id, 'latest');
      assert.deepEqual(json(current).pendingTasks, ['x']);
      await app.inject({ method: 'PATCH', url: `${base}/latest`, payload: { sessionEnd: '2026-02-02T00:00:00.000Z' } });
      assert.equal(json(await get(`${base}/current`)).id, 'old');
    });

    test('decisions are replaced by key', async () => {
      const base = `/v1/projects/dec/${decisions.name}`;
      await put(`${base}/db`, { decisionValue: 'sqlite', reasoning: 'simple' });
      const second = json(await put(`${base}/db`, { decisionValue: 'postgres' }));
      assert.equal(second.decisionValue, 'postgres');
      assert.equal(second.reasoning, undefined, 'PUT replaces the whole decision');
      assert.equal(json(await get(`${base}/count`)).count, 1);
    });

    test('stats match the data', async () => {
      const project = 'stats';
      const base = `/v1/projects/${project}`;
      const scores = [0.95, 0.8, 0.79, 0.5, 0.2];
      await app.inject({
        method: 'POST',
        url: `${base}/concepts/batch`,
        payload: {
          items: scores.map((score, index) => ({
            id: `c${index}`,
            conceptName: `n${index}`,
            conceptType: index < 2 ? 'class' : 'function',
            confidenceScore: score,
          })),
        },
      });
      await put(`${base}/patterns/p1`, { patternType: 'naming', patternContent: { a: 1 }, confidence: 0.6 });
      const stats = json(await get(`${base}/stats`));
      assert.equal(stats.projectId, project);
      assert.ok(stats.schemaVersion >= 1);
      assert.equal(stats.entities.concepts.count, 5);
      assert.deepEqual(stats.entities.concepts.byType, [
        { key: 'function', count: 3 },
        { key: 'class', count: 2 },
      ]);
      assert.equal(stats.entities.concepts.confidence.high, 2);
      assert.equal(stats.entities.concepts.confidence.medium, 2);
      assert.equal(stats.entities.concepts.confidence.low, 1);
      assert.ok(Math.abs(stats.entities.concepts.confidence.average - scores.reduce((a, b) => a + b) / 5) < 1e-9);
      assert.equal(stats.entities.patterns.count, 1);
      assert.equal(stats.entities.patterns.confidence.medium, 1);
      assert.equal(stats.entities.files.count, 0);
      assert.ok(Date.parse(stats.entities.concepts.latestUpdate) > Date.now() - 60_000);
    });

    test('intelligence replace: atomic, no duplicates after two runs, other data untouched', async () => {
      const base = '/v1/projects/learn';
      await put(`${base}/insights/i1`, { insightType: 'bug', insightContent: 'keep me' });
      const intelligence = {
        concepts: [sampleItem(concepts, 1), sampleItem(concepts, 2)],
        patterns: [sampleItem(patterns, 1)],
        files: [{ filePath: 'src/a.ts', fileHash: 'h1' }],
        features: [{ id: 'f', featureName: 'F', primaryFiles: [] }],
        entryPoints: [{ id: 'e', entryType: 'cli', filePath: 'bin.ts' }],
        keyDirectories: [{ id: 'k', directoryPath: 'src', directoryType: 'source' }],
      };
      for (let run = 0; run < 2; run++) {
        const response = await put(`${base}/intelligence`, intelligence);
        assert.equal(response.statusCode, 200, response.body);
        assert.deepEqual(json(response).replaced, { concepts: 2, patterns: 1, files: 1, features: 1, entryPoints: 1, keyDirectories: 1 });
      }
      const stats = json(await get(`${base}/stats`)).entities;
      assert.equal(stats.concepts.count, 2);
      assert.equal(stats.patterns.count, 1);
      assert.equal(stats['entry-points'].count, 1);
      assert.equal(stats.insights.count, 1, 'sections not sent are untouched');

      const smaller = await put(`${base}/intelligence`, { concepts: [sampleItem(concepts, 3)] });
      assert.equal(smaller.statusCode, 200);
      assert.deepEqual(
        json(await get(`${base}/concepts`)).items.map((row: { id: string }) => row.id),
        [sampleItem(concepts, 3).id],
      );

      const bad = await put(`${base}/intelligence`, { concepts: [sampleItem(concepts, 4)], patterns: [{ patternId: 'x' }] });
      assert.equal(bad.statusCode, 400);
      assert.equal(json(await get(`${base}/concepts`)).items[0].id, sampleItem(concepts, 3).id, 'failed replace changed nothing');
    });

    test('projects: metadata, list, isolation and deletion', async () => {
      const a = '/v1/projects/iso-a';
      const b = '/v1/projects/iso-b';
      const meta = await put(a, { projectPath: '/src/a', projectName: 'A', languagesDetected: ['ts'] });
      assert.equal(meta.statusCode, 200, meta.body);
      assert.equal(json(meta).projectId, 'iso-a');
      for (const entity of entities) {
        const item = sampleItem(entity, 1);
        assert.equal((await put(`${a}/${entity.name}/${enc(String(item[entity.key]))}`, item)).statusCode, 200);
      }
      for (const entity of entities) {
        const key = enc(String(sampleItem(entity, 1)[entity.key]));
        assert.equal((await get(`${b}/${entity.name}/${key}`)).statusCode, 404, `${entity.name} invisible from B`);
        assert.equal(json(await get(`${b}/${entity.name}`)).items.length, 0);
        assert.equal(json(await get(`${b}/${entity.name}/count`)).count, 0);
        assert.equal((await app.inject({ method: 'DELETE', url: `${b}/${entity.name}/${key}` })).statusCode, 404, `${entity.name} not deletable from B`);
        assert.equal((await get(`${a}/${entity.name}/${key}`)).statusCode, 200);
      }
      assert.equal(json(await app.inject({ method: 'PATCH', url: a, payload: { projectName: 'A2' } })).projectName, 'A2');
      assert.deepEqual(json(await get(a)).languagesDetected, ['ts']);
      const listed = json(await get('/v1/projects?limit=1000')).items.map((row: { projectId: string }) => row.projectId);
      assert.ok(listed.includes('iso-a'));
      assert.equal((await get(b)).statusCode, 404);

      assert.equal((await app.inject({ method: 'DELETE', url: b })).statusCode, 404);
      assert.equal((await app.inject({ method: 'DELETE', url: a })).statusCode, 204);
      assert.equal((await get(a)).statusCode, 404);
      const stats = json(await get(`${a}/stats`)).entities;
      for (const entity of entities) assert.equal(stats[entity.name].count, 0, `${entity.name} deleted with the project`);
    });

    test('projects list pages with a cursor', async () => {
      for (let index = 0; index < 7; index++) await put(`/v1/projects/page-${index}`, { projectName: `p${index}` });
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const body = json(await get(`/v1/projects?limit=3${cursor ? `&cursor=${enc(cursor)}` : ''}`));
        seen.push(...body.items.map((row: { projectId: string }) => row.projectId));
        cursor = body.nextCursor;
      } while (cursor);
      assert.equal(new Set(seen).size, seen.length);
      for (let index = 0; index < 7; index++) assert.ok(seen.includes(`page-${index}`));
    });

    test('long strings in indexed columns: any length within the body limit, byte for byte, sorted, filtered and paged; keys bounded', async () => {
      const base = '/v1/projects/long-strings/concepts';
      // Incompressible (PostgreSQL compresses a long index entry first): 20,000 characters, many of them 3 and 4 UTF-8 bytes.
      let state = 7;
      const noise = (length: number) =>
        Array.from({ length }, () => {
          state = (state * 48271) % 2147483647;
          return String.fromCodePoint([0x61, 0x4e00, 0x1f600][state % 3]! + ((state >> 8) % 64));
        }).join('');
      const shared = noise(300);
      const names = [`${shared}b${noise(20_000)}`, `${shared}a${noise(20_000)}`, `${shared}a`, 'short'];
      for (const [index, conceptName] of names.entries()) {
        const response = await put(`${base}/c${index}`, { conceptName, conceptType: noise(5_000), filePath: `${shared}/${index}/${noise(3_000)}` });
        assert.equal(response.statusCode, 200, response.body.slice(0, 300));
        assert.equal(json(await get(`${base}/c${index}`)).conceptName, conceptName, 'byte for byte');
      }
      const expected = names
        .map((name, index) => ({ name, id: `c${index}` }))
        .sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)))
        .map((row) => row.id);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const response = await get(`${base}?sort=conceptName&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
        assert.equal(response.statusCode, 200, response.body.slice(0, 300));
        const page = json(response);
        seen.push(...page.items.map((item: { id: string }) => item.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      assert.deepEqual(seen, expected, 'sorted by the whole value (byte order) beyond a shared 300-character prefix, paged one by one');
      const descendingResponse = await get(`${base}?sort=-conceptName`);
      assert.equal(descendingResponse.statusCode, 200, descendingResponse.body.slice(0, 300));
      const descending = json(descendingResponse).items.map((item: { id: string }) => item.id);
      assert.deepEqual(descending, [...expected].reverse());
      // Query strings stay bounded (1,024 characters a filter value): this value shares its 128-character index prefix with c0 and c1.
      const byNameResponse = await get(`${base}?conceptName=${enc(names[2]!)}`);
      assert.equal(byNameResponse.statusCode, 200, byNameResponse.body.slice(0, 300));
      const byName = json(byNameResponse).items;
      assert.deepEqual(
        byName.map((item: { id: string }) => item.id),
        ['c2'],
        'an equality filter matches the whole value, not the rows sharing its indexed prefix',
      );
      const batch = await app.inject({
        method: 'POST',
        url: `${base}/batch`,
        payload: { items: [{ id: 'b1', conceptName: noise(30_000), conceptType: 't' }] },
      });
      assert.equal(batch.statusCode, 200, batch.body.slice(0, 300));
      const longKey = await put(`${base}/${enc('é'.repeat(600))}`, { conceptName: 'n', conceptType: 't' });
      assert.equal(longKey.statusCode, 400, 'a key of 1,200 UTF-8 bytes');
      assert.match(json(longKey).message, /1200 bytes in UTF-8; a key is at most 1024/);
      assert.equal((await put(`${base}/${enc('é'.repeat(512))}`, { conceptName: 'n', conceptType: 't' })).statusCode, 200, 'a key of 1,024 bytes');
    });

    test('awkward strings come back byte for byte', async () => {
      const base = '/v1/projects/strings/files';
      const values = [
        'src/dir with spaces/ünïcödé/文件.ts',
        "'; DROP TABLE file_intelligence; --",
        'a%2Fb/../c?x=1&y=2#frag',
        '😀 emoji, \u0001 control, \t tab \n newline " quote \\ backslash',
        'x'.repeat(1000),
      ];
      for (const [index, value] of values.entries()) {
        const filePath = index === 3 ? 'special/chars.ts' : value;
        const payload = { fileHash: value, semanticConcepts: { text: value, deep: [value] }, complexityMetrics: 'y'.repeat(100_000) + value };
        const response = await put(`${base}/${enc(filePath)}`, payload);
        assert.equal(response.statusCode, 200, response.body);
        const back = json(await get(`${base}/${enc(filePath)}`));
        assert.equal(back.filePath, filePath);
        assert.equal(back.fileHash, value);
        assert.deepEqual(back.semanticConcepts, { text: value, deep: [value] });
        assert.equal(back.complexityMetrics, payload.complexityMetrics);
        const filtered = json(await get(`${base}?fileHash=${enc(value)}`)).items;
        assert.equal(filtered.length, 1, `filter by ${JSON.stringify(value.slice(0, 20))}`);
        const searched = json(await get(`${base}?q=${enc(filePath.slice(0, 50).toUpperCase())}`)).items;
        assert.ok(
          searched.some((row: { filePath: string }) => row.filePath === filePath),
          'q with metacharacters',
        );
      }
      // The same values, and JSON of every shape, through a batch (PostgreSQL binds a batch as arrays).
      const awkward = [...values, 'NULL', '{a,b}', '"quoted"', ' ', ''];
      const jsonShapes: unknown[] = ['a string', 'NULL', 0, -1.5, true, [], {}, ['{', '}', ','], { '"k"': { '\\': [null, 'x'] } }];
      const batchItems = awkward.map((value, index) => ({
        filePath: `batch/${index}`,
        fileHash: value,
        semanticConcepts: jsonShapes[index % jsonShapes.length],
      }));
      const batch = await app.inject({ method: 'POST', url: `${base}/batch`, payload: { items: batchItems } });
      assert.equal(batch.statusCode, 200, batch.body);
      for (const item of batchItems) {
        const back = json(await get(`${base}/${enc(item.filePath)}`));
        assert.equal(back.fileHash, item.fileHash, `batch fileHash ${JSON.stringify(item.fileHash.slice(0, 20))}`);
        assert.deepEqual(back.semanticConcepts, item.semanticConcepts, `batch JSON ${JSON.stringify(item.semanticConcepts)}`);
      }

      const sneaky = json(await get(`${base}?q=${enc("%' OR 1=1 --")}`)).items;
      assert.equal(sneaky.length, 0, 'LIKE and quote metacharacters are literal');
      const underscore = json(await get(`${base}?q=_`)).items;
      assert.equal(underscore.length, 1, 'an underscore is not a wildcard');

      // PostgreSQL cannot hold U+0000 in text or JSONB, so every store refuses it the same way.
      const nul = 'nul \u0000 inside';
      for (const response of [
        await put(`${base}/nul.ts`, { fileHash: nul }),
        await put(`${base}/nul.ts`, { fileHash: 'h', semanticConcepts: { deep: [nul] } }),
        await put(`${base}/nul.ts`, { fileHash: 'h', semanticConcepts: { [nul]: 1 } }),
        await put(`${base}/${enc(nul)}`, { fileHash: 'h' }),
        await get(`${base}/${enc(nul)}`),
        await get(`${base}?fileHash=${enc(nul)}`),
        await get(`${base}?q=${enc(nul)}`),
      ]) {
        assert.equal(response.statusCode, 400, response.body);
        assert.equal(json(response).code, 'VALIDATION_FAILED');
        assert.match(json(response).message, /NUL/);
      }
      assert.equal((await get(`${base}/nul.ts`)).statusCode, 404, 'nothing written');
    });
  });
}
