"""Asset functions, one module per stage: raw (ingest), models (SQL layers), publish."""
