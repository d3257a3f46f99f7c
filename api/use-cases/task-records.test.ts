import { taskRecordId } from './task-records';

describe('taskRecordId', () => {
  const task = 'pipeline:deals:opportunity:opp_1:a1b2c3d4:1:quote';

  it('When the same task is completed again, then it names the same record', () => {
    expect(taskRecordId(task, 'quotation')).toBe(taskRecordId(task, 'quotation'));
    expect(taskRecordId(task, 'quotation')).toMatch(/^quo_[\w-]{12}$/);
  });

  it('When another task (or the same task of a re-initiated run) creates a record, then it names another', () => {
    expect(taskRecordId(`${task}2`, 'quotation')).not.toBe(taskRecordId(task, 'quotation'));
    expect(taskRecordId(task.replace('a1b2c3d4', 'e5f6a7b8'), 'quotation')).not.toBe(taskRecordId(task, 'quotation'));
  });
});
