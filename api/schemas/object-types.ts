import { z } from 'zod';
import { name } from './common';
import { ObjectTypeParam } from './records';

/** An admin's registration of an object type: its key, as `/v1/records/:type` takes it, and an optional display name. */
export const ObjectTypeBody = z.strictObject({
  key: ObjectTypeParam,
  name: name.optional(),
});
