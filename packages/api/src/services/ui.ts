// Everything the web UI calls, as one namespace (`import { services } from '@trainhub/api'`): the same
// services every API style uses, so the UI enforces exactly the same rules.
export { principalFromUserId, checkPassword } from '../auth/resolve';
export { changePassword } from './signup';
export { previewCsv, type CsvPreview } from './csv-preview';
export { roleIn, atLeast } from '../auth/principal';
export { requireProject, requireTeamRole } from './access';
export { listProjects, getProject, createProject, updateProject, deleteProject } from './projects';
export {
  uploadResource,
  listResources,
  getResource,
  openResource,
  readResource,
  deleteResource,
  kindFromName,
  sanitizeFileName,
} from './resources';
export { createTraining, listTasks, getTask, deleteTask, rerunTask } from './tasks';
export { trainFromArchitecture } from './trainings';
export {
  getExecution,
  historyAfter,
  historyOf,
  listEvents,
  listProjectExecutions,
  requestStop,
  isTerminal,
  TERMINAL_STATUSES,
} from './executions';
export { listSchedules, setScheduleEnabled } from './schedules';
export { sampleSummary, listSamples, getSample } from './samples';
export {
  listTeams,
  listMembers,
  setMemberRole,
  removeMember,
  leaveTeam,
  listApiKeys,
  createTeamApiKey,
  revokeApiKey,
} from './teams';
export { createInvite, listInvites, revokeInvite, describeInvite, acceptInvite } from './invites';
export { signUp, openSignupAvailable, MIN_PASSWORD_LENGTH } from './signup';
export { createTeam, deleteTeam, renameTeam } from './team-settings';
export { listModels, listVersions, getModelVersion } from './models';
export {
  predictRows,
  prefetchModel,
  startScoring,
  startEvaluation,
  getModelJob,
  listModelJobs,
  deploy,
  undeploy,
  listDeployed,
} from './predictions';
