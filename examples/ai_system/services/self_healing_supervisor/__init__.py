"""SelfHealingSupervisor: restarts unhealthy containers (needs /var/run/docker.sock)."""
