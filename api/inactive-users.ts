import type { PeopleStore } from '../activities/store/people';
import type { PipelineDefinition } from '../workflows/domain/types';
import { AppError } from './errors';

/** The users a pipeline definition names: task assignees and invited participants. Pure. */
export function namedUsers(def: Pick<PipelineDefinition, 'stages'>): string[] {
  const ids = def.stages.flatMap((stage) => [
    ...(stage.tasks ?? []).flatMap((task) => (task.assignee.kind === 'user' ? [task.assignee.userId] : [])),
    ...(stage.effects?.invite?.users ?? []),
  ]);
  return [...new Set(ids)];
}

/** A deactivated user is made owner, assignee or participant of nothing: 422 inactive_user naming them. */
export async function refuseInactiveUsers(people: PeopleStore, def: Pick<PipelineDefinition, 'stages'>): Promise<void> {
  const users = await Promise.all(namedUsers(def).map((id) => people.getUser(id)));
  const inactive = users.filter((u) => u?.deactivatedAt !== undefined).map((u) => u!.id);
  if (inactive.length > 0) {
    throw new AppError(422, 'inactive_user', `${inactive.join(', ')} ${inactive.length === 1 ? 'was' : 'were'} deactivated: name another assignee or participant`, {
      users: inactive,
    });
  }
}
