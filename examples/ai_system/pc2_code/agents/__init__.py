"""PC2 agents. Each module is started as a script: python pc2_code/agents/<name>.py"""
