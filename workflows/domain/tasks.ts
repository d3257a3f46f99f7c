import type { TaskState } from './types';

/**
 * The tasks of the state once `id` is done. The state keeps what the rules
 * ask of done tasks (a required task's key is done, every required task of
 * the stage is done, a task is already done), so only the latest done task of
 * each stage and key stays, without its description: a stage visited many
 * times does not grow the state. The tasks collection and the instance's view
 * keep the whole trail.
 */
export function completeTask(tasks: TaskState[], id: string, doneAt: string, doneBy: string): TaskState[] {
  const task = tasks.find((t) => t.id === id);
  if (!task) return tasks;
  const { description: _description, ...kept } = task;
  const done: TaskState = { ...kept, status: 'done', doneAt, doneBy };
  return tasks
    .filter((t) => t.id === id || t.status === 'open' || t.stage !== task.stage || t.key !== task.key)
    .map((t) => (t.id === id ? done : t));
}

/** The same fold over a whole list, for a state that an earlier version carried with every done task. */
export function foldDoneTasks(tasks: TaskState[]): TaskState[] {
  const latest = new Map<string, string>();
  for (const t of tasks) if (t.status === 'done') latest.set(`${t.stage}\0${t.key}`, t.id);
  return tasks.filter((t) => t.status === 'open' || latest.get(`${t.stage}\0${t.key}`) === t.id);
}
