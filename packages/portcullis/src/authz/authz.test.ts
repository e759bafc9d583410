import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isPortcullisError } from '../errors/index.js';
import { decideAccess, definePermissions, describePolicy, isRoutePolicy, policy, type Caller, type RoutePolicy } from './index.js';

const rbac = definePermissions({
  user: ['posts:read', 'posts:write'],
  moderator: ['posts:read', 'posts:write', 'posts:unpublish'],
  admin: ['posts:read', 'posts:write', 'posts:unpublish', 'users:write'],
});

describe('definePermissions', () => {
  it('grants what the table lists and nothing else; unknown and absent roles get nothing', () => {
    assert.equal(rbac.can('user', 'posts:read'), true);
    assert.equal(rbac.can('user', 'users:write'), false);
    assert.equal(rbac.can('admin', 'users:write'), true);
    assert.equal(rbac.can('root', 'posts:read'), false);
    assert.equal(rbac.can(undefined, 'posts:read'), false);
    assert.equal(rbac.can('user', 'posts:delete'), false);
    assert.equal(rbac.permissionsOf('nobody').size, 0);
    assert.deepEqual(rbac.permissions, ['posts:read', 'posts:unpublish', 'posts:write', 'users:write']);
    assert.deepEqual(rbac.roles, ['user', 'moderator', 'admin']);
  });

  it('refuses permission names that are not resource:action', () => {
    for (const bad of ['posts', 'Posts:read', 'posts:', ':read', 'posts:read:all', 'posts read', '']) {
      assert.throws(() => definePermissions({ user: [bad] }), (error: unknown) => isPortcullisError(error) && error.code === 'config.invalid', bad);
    }
  });
});

describe('decideAccess', () => {
  const person = (role: string): Caller => ({ role });
  const key = (...scopes: string[]): Caller => ({ role: undefined, scopes: new Set(scopes) });
  const policies: Record<string, RoutePolicy> = {
    public: policy.public(),
    authenticated: policy.authenticated(),
    publish: policy.permission('posts:unpublish'),
    twoPermissions: policy.permission('posts:read', 'users:write'),
    adminRole: policy.role('admin'),
    staffRole: policy.role('moderator', 'admin'),
  };
  // The whole matrix, one expected outcome per cell: 'ok', 401 or 403.
  const callers: [string, Caller | undefined][] = [
    ['anonymous', undefined],
    ['user', person('user')],
    ['moderator', person('moderator')],
    ['admin', person('admin')],
    ['unknown role', person('root')],
    ['key with posts:unpublish', key('posts:unpublish')],
    ['key with posts:read + users:write', key('posts:read', 'users:write')],
    ['key with no scopes', key()],
  ];
  const expected: Record<string, (string | number)[]> = {
    public: ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'],
    authenticated: [401, 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok'],
    publish: [401, 403, 'ok', 'ok', 403, 'ok', 403, 403],
    twoPermissions: [401, 403, 403, 'ok', 403, 403, 'ok', 403],
    adminRole: [401, 403, 403, 'ok', 403, 403, 403, 403],
    staffRole: [401, 403, 'ok', 'ok', 403, 403, 403, 403],
  };
  for (const [name, routePolicy] of Object.entries(policies)) {
    it(`${name}: ${describePolicy(routePolicy)}`, () => {
      const got = callers.map(([, caller]) => {
        const decision = decideAccess(routePolicy, caller, rbac);
        return decision.allowed ? 'ok' : decision.code === 'auth.unauthenticated' ? 401 : 403;
      });
      assert.deepEqual(got, expected[name], callers.map(([label]) => label).join(', '));
    });
  }

  it('names what is missing', () => {
    assert.deepEqual(decideAccess(policy.permission('posts:read', 'users:write'), person('user'), rbac), { allowed: false, code: 'auth.forbidden', missing: 'users:write' });
    assert.deepEqual(decideAccess(policy.role('admin'), person('user'), rbac), { allowed: false, code: 'auth.forbidden', missing: 'role admin' });
  });
});

describe('policies', () => {
  it('describe themselves for the route inventory, ownership included', () => {
    assert.equal(describePolicy(policy.public()), 'public');
    assert.equal(describePolicy(policy.permission('posts:write')), 'permission posts:write');
    assert.equal(describePolicy(policy.owned(policy.permission('posts:write'), 'post owner')), 'permission posts:write; owner: post owner');
    assert.equal(describePolicy(policy.role('moderator', 'admin')), 'role moderator | admin');
  });

  it('refuse an empty permission or role list, and only real policies pass isRoutePolicy', () => {
    assert.throws(() => policy.permission(), (error: unknown) => isPortcullisError(error) && error.code === 'config.invalid');
    assert.throws(() => policy.role(''), (error: unknown) => isPortcullisError(error) && error.code === 'config.invalid');
    assert.equal(isRoutePolicy(policy.authenticated()), true);
    for (const bad of [undefined, null, 'public', {}, { access: 'public' }, { access: { kind: 'anyone' } }]) assert.equal(isRoutePolicy(bad), false);
  });
});
