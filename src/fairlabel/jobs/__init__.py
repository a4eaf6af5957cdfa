"""Jobs: long work run outside the request that asked for it, with progress people can
watch (`runner` runs them, `service` creates and finds them, `routes` shows them)."""
