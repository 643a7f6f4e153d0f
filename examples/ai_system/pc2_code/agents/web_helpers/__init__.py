"""HTML fetching and scraping helpers for UnifiedWebAgent."""
