"""Consolidated services shared by MainPC and PC2."""
