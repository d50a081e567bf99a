/** The schema of an import's report (`POST /v1/import`), shared by the route, OpenAPI and the client. */
import Type, { type Static } from 'typebox';

const TallySchema = Type.Object({ count: Type.Integer(), checksum: Type.String() });

export const ImportReportSchema = Type.Object({
  lines: Type.Integer({ description: 'lines read, header and trailer included' }),
  projects: Type.Integer(),
  entityRows: Type.Integer(),
  collections: Type.Integer(),
  documents: Type.Integer(),
  reembedded: Type.Integer({ description: 'documents embedded again by the target (reembed=true)' }),
  summary: Type.Record(Type.String(), TallySchema, {
    description: 'count and checksum per `projects`, `<project>/<entity>` and `<project>/collections/<name>`',
  }),
});

export type ImportReport = Static<typeof ImportReportSchema>;
