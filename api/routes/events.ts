import { Router } from 'express';
import { encodeCursor, keysetParams } from '../cursor';
import type { AppDeps } from '../deps';
import { actorOf } from '../actor';
import { managesWebhooks, managesWebhooksOf } from '../tenancy';
import { AppError, handle } from '../errors';
import { EventFeedQuery } from '../schemas/webhooks';

/**
 * The company's webhook events in the order they were written, 30 days back:
 * what a receiver that was down catches up from. `nextCursor` is where to ask
 * next, also on the last page (poll it); read by the company's webhook admins.
 */
export function eventRoutes({ stores }: AppDeps): Router {
  const router = Router();

  router.get('/v1/events', handle(async (req, res) => {
    const actor = actorOf(req);
    if (!managesWebhooks(actor)) throw new AppError(403, 'forbidden', 'this route is for admins');
    const query = EventFeedQuery.parse(req.query);
    const company = await stores.people.getCompany(actor.companyId ?? '');
    if (!company || !managesWebhooksOf(actor, company)) throw new AppError(403, 'forbidden', "a company's events are its webhook admins'");
    const { after, limit } = query;
    const page = keysetParams({ ...(limit !== undefined ? { limit } : {}), ...(after !== undefined ? { cursor: after } : {}) }, {});
    const { events, last, more } = await stores.eventFeed.page(company.id, { limit: page.limit, ...(page.after ? { after: page.after } : {}) }, new Date());
    // At the end the cursor still moves to the last event read, or stays where it was: poll it for what comes next.
    const nextCursor = last ? encodeCursor(last, {}) : (after ?? null);
    if (more && nextCursor) res.append('Link', `<${req.baseUrl}${req.path}?after=${nextCursor}${limit !== undefined ? `&limit=${limit}` : ''}>; rel="next"`);
    res.json({ items: events, nextCursor, more });
  }));

  return router;
}
