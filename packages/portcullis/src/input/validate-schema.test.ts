import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { PortcullisError } from '../errors/index.js';
import { MAX_FIELD_ERRORS, validateInput } from './validate-schema.js';

const schema = z.strictObject({ email: z.email(), name: z.string().min(1).max(10), tags: z.array(z.string()).max(2).optional() });

function refusal(run: () => unknown): PortcullisError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof PortcullisError);
    return error;
  }
  assert.fail('expected a refusal');
}

describe('validateInput', () => {
  it('returns the parsed value when it is valid', () => {
    assert.deepEqual(validateInput(schema, { email: 'a@example.com', name: 'Al' }), { email: 'a@example.com', name: 'Al' });
  });

  it('lists every invalid field with its path and the schema issue code', () => {
    const error = refusal(() => validateInput(schema, { email: 'nope', name: '', tags: ['a', 'b', 'c'] }));
    assert.equal(error.code, 'request.validation_failed');
    const fields = (error.fieldErrors ?? []).map((f) => `${f.field}:${f.code}`).sort();
    assert.deepEqual(fields, ['email:invalid_format', 'name:too_small', 'tags:too_big']);
  });

  it('names array elements by index and a non-object body by where it came from', () => {
    const error = refusal(() => validateInput(z.object({ list: z.array(z.number()) }), { list: [1, 'x'] }));
    assert.equal(error.fieldErrors?.[0]?.field, 'list[1]');
    assert.equal(refusal(() => validateInput(schema, 'text', 'query')).fieldErrors?.[0]?.field, 'query');
  });

  it('never echoes a client key or value into the problem', () => {
    const hostile = '<script>alert(1)</script>';
    const error = refusal(() => validateInput(schema, { email: hostile, name: 'ok', [hostile]: hostile }));
    const text = JSON.stringify(error.fieldErrors);
    assert.ok(!text.includes('script'), text);
    assert.ok(error.fieldErrors?.some((f) => f.code === 'unrecognized_keys'));
  });

  it('caps the number of listed fields', () => {
    const wide = z.object(Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`f${i}`, z.string()])));
    assert.equal(refusal(() => validateInput(wide, {})).fieldErrors?.length, MAX_FIELD_ERRORS);
  });
});
