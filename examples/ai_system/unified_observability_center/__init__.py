"""UnifiedObservabilityCenter: metrics, alerts and dashboards for both machines."""
__version__ = "1.2.0"
