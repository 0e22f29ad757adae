// The observability workspace's API, for the observability suite (test/observability/).
export {
  buildDashboard,
  DASHBOARD_UID,
  type PanelQuery,
  panelQueries,
  renderDashboardJson,
  renderPanelTable,
} from './dashboard.js';
export { DASHBOARD_FILE, DOC_FILE, withPanelTable } from './generate.js';
