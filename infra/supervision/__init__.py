"""supervisord for the local stack: its rendered config and an XML-RPC client over its socket."""
