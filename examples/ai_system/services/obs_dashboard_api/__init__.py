"""ObservabilityDashboardAPI: read API for the dashboard UI."""
