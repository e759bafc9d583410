/** Authorization checkpoint (Z1, Z2): the permission table and route policies, deny by default. */
export { definePermissions, PERMISSION_PATTERN, type PermissionTable } from './permission-table.js';
export { policy, decideAccess, describePolicy, isRoutePolicy, type RoutePolicy, type RouteAccess, type Caller, type AccessDecision } from './route-policy.js';
