import { z } from 'zod';
import { isoTime, StageType } from './shared';

const Totals = z.object({ count: z.number().int(), amount: z.number(), weightedAmount: z.number() });

export const Forecast = z
  .object({
    pipelineKey: z.string(),
    ownerId: z.string().nullable().meta({ description: 'the owner asked for; null for every owner' }),
    total: Totals,
    byStage: z.array(Totals.extend({ stage: z.string(), name: z.string(), winRate: z.number().nullable() })),
    byOwner: z.array(Totals.extend({ ownerId: z.string() })).meta({ description: 'highest weighted amount first' }),
  })
  .meta({
    id: 'Forecast',
    description: 'The weighted value of open instances: amount × win rate of their current stage.',
    examples: [{
      pipelineKey: 'deals',
      ownerId: null,
      total: { count: 3, amount: 98000, weightedAmount: 36500 },
      byStage: [
        { stage: 'qualify', name: 'Qualify', winRate: 25, count: 2, amount: 68000, weightedAmount: 17000 },
        { stage: 'proposal', name: 'Proposal', winRate: 65, count: 1, amount: 30000, weightedAmount: 19500 },
      ],
      byOwner: [{ ownerId: 'usr_Tn3c0Wd9Lp2M', count: 3, amount: 98000, weightedAmount: 36500 }],
    }],
  });

const Window = z.object({ from: isoTime, to: isoTime }).meta({ description: 'the window [from, to)' });
const window = { from: '2026-11-07T00:00:00.000Z', to: '2026-12-07T00:00:00.000Z' };

export const Funnel = z
  .object({
    pipelineKey: z.string(),
    version: z.number().int().nullable().meta({ description: 'the version whose stages are shown; null when never published (the draft)' }),
    window: Window,
    stages: z.array(
      z.object({
        stage: z.string(),
        name: z.string(),
        type: StageType,
        entered: z.number().int(),
        left: z.number().int(),
        leftByDeadline: z.number().int(),
        now: z.number().int().meta({ description: 'instances standing in the stage now' }),
        next: z.array(z.object({ stage: z.string(), count: z.number().int(), rate: z.number() })),
        timeInStage: z.object({ medianMs: z.number().nullable(), p90Ms: z.number().nullable() }),
      }),
    ),
    outcomes: z.array(z.object({ stage: z.string(), name: z.string(), type: StageType, count: z.number().int(), share: z.number() })),
    timeToOutcome: z.object({ count: z.number().int(), medianMs: z.number().nullable() }),
  })
  .meta({
    id: 'Funnel',
    examples: [{
      pipelineKey: 'deals',
      version: 2,
      window,
      stages: [
        { stage: 'qualify', name: 'Qualify', type: 'normal', entered: 40, left: 31, leftByDeadline: 4, now: 9, next: [{ stage: 'won', count: 18, rate: 0.5806 }, { stage: 'lost', count: 13, rate: 0.4194 }], timeInStage: { medianMs: 259200000, p90Ms: 950400000 } },
        { stage: 'won', name: 'Won', type: 'success', entered: 18, left: 0, leftByDeadline: 0, now: 18, next: [], timeInStage: { medianMs: null, p90Ms: null } },
      ],
      outcomes: [{ stage: 'won', name: 'Won', type: 'success', count: 18, share: 0.5806 }, { stage: 'lost', name: 'Lost', type: 'failure', count: 13, share: 0.4194 }],
      timeToOutcome: { count: 31, medianMs: 345600000 },
    }],
  });

export const Scorecard = z
  .object({
    pipelineKey: z.string(),
    window: Window,
    programs: z.array(
      z.object({
        ownerCompanyId: z.string(),
        partners: z.array(
          z.object({
            partnerCompanyId: z.string(),
            received: z.number().int(),
            accepted: z.number().int(),
            declined: z.number().int(),
            expired: z.number().int(),
            converted: z.number().int(),
            acceptanceRate: z.number(),
            conversionRate: z.number(),
            medianTimeToAcceptMs: z.number().nullable(),
            medianAcceptToConvertMs: z.number().nullable(),
          }),
        ),
      }),
    ),
  })
  .meta({
    id: 'Scorecard',
    examples: [{
      pipelineKey: 'partner-lead',
      window,
      programs: [{
        ownerCompanyId: 'cmp_Hq2v8Rk1Xa4Z',
        partners: [{ partnerCompanyId: 'cmp_Pt9rN3rX0b1Q', received: 20, accepted: 15, declined: 3, expired: 2, converted: 6, acceptanceRate: 0.75, conversionRate: 0.4, medianTimeToAcceptMs: 7200000, medianAcceptToConvertMs: 1209600000 }],
      }],
    }],
  });

export const Health = z
  .object({ status: z.literal('ok'), version: z.string().meta({ description: 'the Propeller version the process runs, e.g. 1.0.0' }) })
  .meta({ id: 'Health', examples: [{ status: 'ok', version: '1.1.0' }] });
export const Ready = z
  .object({ status: z.literal('ready'), checks: z.object({ temporal: z.string(), mongodb: z.string() }) })
  .meta({ id: 'Ready', examples: [{ status: 'ready', checks: { temporal: 'ok', mongodb: 'ok' } }] });

export const Board = z
  .object({
    pipelineKey: z.string(),
    version: z.number().int().meta({ description: 'the published version whose stages these are' }),
    ownerId: z.string().nullable().meta({ description: 'the owner asked for; null for every owner' }),
    partnerCompanyId: z.string().nullable().meta({ description: 'the partner company asked for; null for every partner' }),
    stages: z
      .array(Totals.extend({ key: z.string(), name: z.string(), type: StageType, winRate: z.number().nullable() }))
      .meta({ description: "every stage of the version, in order (then any stage of an older version an instance still sits in): its instances' count, amount and weighted amount" }),
  })
  .meta({
    id: 'Board',
    description:
      "A pipeline's board figures: per stage, the instances a board shows (running, or finished in an outcome stage; not cancelled), the sum of their amounts, and that sum weighted by the stage's win rate.",
    examples: [{
      pipelineKey: 'deals',
      version: 3,
      ownerId: null,
      partnerCompanyId: null,
      stages: [
        { key: 'qualify', name: 'Qualify', type: 'normal', winRate: 25, count: 2, amount: 68000, weightedAmount: 17000 },
        { key: 'won', name: 'Won', type: 'success', winRate: 100, count: 1, amount: 30000, weightedAmount: 30000 },
      ],
    }],
  });
