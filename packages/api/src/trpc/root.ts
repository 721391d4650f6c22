import { apiKeysRouter } from './routers/api-keys';
import { executionsRouter } from './routers/executions';
import { invitesRouter } from './routers/invites';
import { learnBlocksRouter } from './routers/learn-blocks';
import { membersRouter } from './routers/members';
import { modelsRouter } from './routers/models';
import { projectsRouter } from './routers/projects';
import { resourcesRouter } from './routers/resources';
import { samplesRouter } from './routers/samples';
import { schedulesRouter } from './routers/schedules';
import { sessionsRouter } from './routers/sessions';
import { tasksRouter } from './routers/tasks';
import { teamsRouter } from './routers/teams';
import { createCallerFactory, router } from './trpc';

/** Every domain, one router file each. */
export const appRouter = router({
  projects: projectsRouter,
  resources: resourcesRouter,
  learnBlocks: learnBlocksRouter,
  tasks: tasksRouter,
  executions: executionsRouter,
  schedules: schedulesRouter,
  sessions: sessionsRouter,
  teams: teamsRouter,
  members: membersRouter,
  apiKeys: apiKeysRouter,
  invites: invitesRouter,
  models: modelsRouter,
  samples: samplesRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
