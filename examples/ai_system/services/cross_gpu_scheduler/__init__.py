"""CrossMachineGPUScheduler: places GPU jobs on the 4090 or the 3060."""
