export {
  describeWeakSecret,
  assertStrongSecret,
  generateSecret,
  describeDefaultCredentials,
  type SecretRule,
} from './secret-strength.js';
