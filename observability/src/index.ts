// The observability workspace's API, for the observability suite (test/observability/).
export {
  buildDashboard,
  DASHBOARD_UID,
  type PanelQuery,
  panelQueries,
  renderDashboardJson,
} from './dashboard.js';
export { DASHBOARD_FILE } from './generate.js';
