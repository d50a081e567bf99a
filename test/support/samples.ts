/** Valid sample items for any entity, derived from its definition. */
import type { EntityDefinition, FieldDefinition } from '../../src/entities/define.js';

function sampleValue(field: string, spec: FieldDefinition, index: number, variant: string): unknown {
  switch (spec.kind) {
    case 'string':
      return `${field}-${variant}-${String(index).padStart(4, '0')}`;
    case 'integer':
      return (index * 7) % 13;
    case 'number':
      return ((index * 37) % 100) / 100;
    case 'json':
      return { index, variant, list: [field, index], nested: { ok: true } };
    case 'timestamp':
      return new Date(Date.UTC(2026, 0, 1, 0, 0, index)).toISOString();
  }
}

/** A full item (every field set) with the key `key-<index>`. */
export function sampleItem(entity: EntityDefinition, index: number, variant = 'a'): Record<string, unknown> {
  const item: Record<string, unknown> = {};
  for (const [field, spec] of Object.entries(entity.fields)) {
    if (field === entity.timestamps.touched) continue; // set by the service
    item[field] = field === entity.key ? `key-${String(index).padStart(4, '0')}` : sampleValue(field, spec, index, variant);
  }
  return item;
}

/** Only the required fields (and the key). */
export function minimalItem(entity: EntityDefinition, index: number): Record<string, unknown> {
  const item: Record<string, unknown> = { [entity.key]: `min-${index}` };
  for (const [field, spec] of Object.entries(entity.fields)) if (spec.required && field !== entity.key) item[field] = sampleValue(field, spec, index, 'min');
  return item;
}
