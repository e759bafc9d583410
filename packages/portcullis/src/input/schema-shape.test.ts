import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { declaredFields, listFields, refusesUnknownFields } from './schema-shape.js';

describe('declaredFields', () => {
  it('reads the fields of an object schema through optional, default and refine', () => {
    assert.deepEqual(declaredFields(z.strictObject({ a: z.string(), b: z.number() })), ['a', 'b']);
    assert.deepEqual(declaredFields(z.object({ a: z.string() }).optional()), ['a']);
    assert.deepEqual(declaredFields(z.strictObject({ g: z.int().default(1) }).default({ g: 1 })), ['g']);
    assert.deepEqual(declaredFields(z.strictObject({ a: z.string().optional() }).refine(() => true)), ['a']);
    assert.deepEqual(declaredFields(z.strictObject({ a: z.string() }).transform((value) => value.a)), ['a']);
  });

  it('declares nothing for what it cannot read', () => {
    for (const schema of [z.string(), z.array(z.object({ a: z.string() })), z.union([z.object({ a: z.string() }), z.object({ b: z.string() })]), undefined, null, 5, {}, { _zod: { def: 'x' } }]) {
      assert.equal(declaredFields(schema), undefined);
    }
  });
});

describe('listFields', () => {
  it('names exactly the fields declared as arrays, through wrappers and pipes', () => {
    const schema = z.strictObject({
      tag: z.array(z.string()).optional(),
      ids: z.array(z.uuid()).max(5).default([]),
      sorted: z.array(z.string()).transform((values) => values.sort()),
      limit: z.coerce.number(),
      name: z.string().optional(),
      tuple: z.tuple([z.string()]),
    });
    assert.deepEqual([...listFields(schema)].sort(), ['ids', 'sorted', 'tag']);
  });

  it('is empty for a schema without lists or one it cannot read', () => {
    assert.equal(listFields(z.strictObject({ limit: z.number() })).size, 0);
    assert.equal(listFields(z.array(z.string())).size, 0);
    assert.equal(listFields({ safeParse: () => ({ success: true, data: {} }) }).size, 0);
  });
});

describe('refusesUnknownFields', () => {
  it('is true for strict objects, wrapped or refined, and unions of strict objects', () => {
    assert.ok(refusesUnknownFields(z.strictObject({ a: z.string() })));
    assert.ok(refusesUnknownFields(z.strictObject({}).optional()));
    assert.ok(refusesUnknownFields(z.strictObject({ a: z.string().optional() }).refine(() => true, 'never shown')));
    assert.ok(refusesUnknownFields(z.strictObject({ g: z.int().default(1) }).default({ g: 1 })));
    assert.ok(refusesUnknownFields(z.union([z.strictObject({ a: z.string() }), z.strictObject({ b: z.string() })])));
  });

  it('is false for objects that strip or pass unknown fields, and for schemas that fail for another reason', () => {
    assert.ok(!refusesUnknownFields(z.object({ a: z.string().optional() })));
    assert.ok(!refusesUnknownFields(z.object({ a: z.string() })), 'fails on the missing field only');
    assert.ok(!refusesUnknownFields(z.looseObject({ a: z.string().optional() })));
    assert.ok(!refusesUnknownFields(z.union([z.strictObject({ a: z.string() }), z.object({ b: z.string() })])), 'one branch is not strict');
    assert.ok(!refusesUnknownFields(z.string()));
    assert.ok(!refusesUnknownFields(z.record(z.string(), z.unknown())));
    assert.ok(!refusesUnknownFields({ safeParse: () => { throw new TypeError('broken'); } }));
  });
});
