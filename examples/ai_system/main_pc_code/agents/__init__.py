"""MainPC agents. Each module is started as a script: python main_pc_code/agents/<name>.py"""
