import crypto from 'node:crypto';
import type { Actor, PipelineVersion, StageDef } from '../../workflows/domain/types';
import type { StoredRecord } from '../../activities/store';

export const uid = (prefix: string) => `${prefix}_${crypto.randomBytes(5).toString('hex')}`;

export function buildActor(overrides: Partial<Actor> = {}): Actor {
  return { kind: 'user', userId: uid('usr'), companyId: 'cmp_home', roles: ['sales'], ...overrides };
}

export function buildRecord(overrides: Partial<StoredRecord> = {}): StoredRecord {
  const now = new Date().toISOString();
  return {
    id: uid('rec'),
    type: 'opportunity',
    ownerId: 'usr_owner',
    creatorId: 'usr_owner',
    companyId: 'cmp_home',
    fields: { title: 'Test record' },
    archived: false,
    version: 1,
    participants: { users: [], companies: [] },
    privateFields: [],
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

const stage = (key: string, name: string, extra: Partial<StageDef> = {}): StageDef => ({ key, name, type: 'normal', ...extra });

/** A small sales pipeline: qualify → propose → won | lost. */
export function buildPipelineVersion(overrides: Partial<PipelineVersion> = {}): PipelineVersion {
  return {
    key: uid('pl'),
    name: 'Test sales',
    objectType: 'opportunity',
    stageField: 'stage',
    trigger: { onCreate: false, manual: true, reinitiate: false },
    multipleRuns: true,
    policy: { reversible: true, skippable: false, repeatable: true, reactivatable: false },
    stages: [
      stage('qualify', 'Qualify', { initial: true, winRate: 10 }),
      stage('propose', 'Propose', { winRate: 50, rules: { requiredFields: ['amount'] } }),
      stage('won', 'Won', { type: 'success', winRate: 100 }),
      stage('lost', 'Lost', { type: 'failure', winRate: 0, rules: { requireReason: true } }),
    ],
    version: 1,
    publishedAt: new Date().toISOString(),
    ...overrides,
  };
}
