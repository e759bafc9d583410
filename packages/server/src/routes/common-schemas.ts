import { z } from 'zod';

/** For routes that take no body: none, or an empty object; anything in it is refused (400), not ignored. */
export const noBody = z.strictObject({}).optional();
