"""HTTP ingest API: CloudEvents over HTTP (structured, batch and binary mode) and Open311."""
