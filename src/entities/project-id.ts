/** DESIGN.md section 2: the tenant id every resource belongs to. */
export const PROJECT_ID_SOURCE = '^[a-z0-9][a-z0-9._-]{0,127}$';
export const PROJECT_ID_PATTERN = new RegExp(PROJECT_ID_SOURCE);
