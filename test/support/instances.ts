/**
 * Instance ids are the server's to format (they carry the pipeline, and will
 * carry the owning company): tests take them from the API's answers or the
 * instances projection, never build them.
 */

/** The instance a record's create started, from the 201 answer's `instances` (when exactly one did). */
export function startedInstanceId(created: unknown): string | undefined {
  const instances = (created as { instances?: Array<{ instanceId?: string }> } | undefined)?.instances ?? [];
  return instances.length === 1 ? instances[0]!.instanceId : undefined;
}
