"""StreamingTranslationProxy: WebSocket front of CloudTranslationService."""
